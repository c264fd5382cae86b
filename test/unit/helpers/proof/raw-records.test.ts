import type { EngineCall, SandboxCall, SandboxEmail } from '../../../helpers/proof/observed';
import { rawFigures } from '../../../helpers/proof/raw-records';

const timeouts = { emailMs: 3000, engineMs: 2000 };

let next = 0;
const nextId = () => {
  next += 1;
  return next;
};
/** An engine call at `at`, answered `answerMs` later (undefined: never answered). */
const engineCall = (
  key: string,
  at: number,
  answerMs: number | undefined,
  started: boolean,
): EngineCall => ({
  callId: `call-${nextId()}`,
  at,
  idempotencyKey: key,
  status: answerMs === undefined ? -1 : 200,
  replayed: false,
  ...(started ? { executionId: `exec-${next}` } : {}),
  ...(answerMs === undefined ? {} : { answeredAt: at + answerMs }),
});

const email = (job: string, callId: string): SandboxEmail => {
  const [source, eventId] = job.split(':');
  return {
    messageId: `m-${nextId()}`,
    callId,
    tag: 'invoice-paid',
    metadata: { source: source as string, eventId: eventId as string },
  };
};

const emailCall = (callId: string, answerMs: number | undefined): SandboxCall => ({
  callId,
  at: 1000,
  status: answerMs === undefined ? 0 : 200,
  ...(answerMs === undefined ? {} : { answeredAt: 1000 + answerMs }),
});

describe('the proof counted from the sandboxes raw records', () => {
  it('counts a workflow job started twice with every call answered as doubled', () => {
    const figures = rawFigures(
      new Set(['w1']),
      new Set(),
      {
        emails: [],
        emailCalls: [],
        engineCalls: [engineCall('w1', 0, 50, true), engineCall('w1', 5000, 50, true)],
      },
      timeouts,
    );
    expect(figures.workflowDoubled).toEqual(['w1']);
    expect(figures.workflowAmbiguous).toEqual([]);
    expect(figures.deliveredOnce).toBe(0);
  });

  it('counts a re-call after a hang past starting as workflow-ambiguous, not as an unexplained double', () => {
    const figures = rawFigures(
      new Set(['w2']),
      new Set(),
      {
        emails: [],
        emailCalls: [],
        engineCalls: [engineCall('w2', 0, undefined, true), engineCall('w2', 3000, 40, true)],
      },
      timeouts,
    );
    expect(figures.workflowDoubled).toEqual([]);
    expect(figures.workflowAmbiguous).toEqual(['w2']);
    expect(figures.workflowAmbiguousDoubled).toEqual(['w2']);
  });

  it('treats an answer given after the caller timed out as no answer', () => {
    const figures = rawFigures(
      new Set(['w3']),
      new Set(),
      {
        emails: [],
        emailCalls: [],
        engineCalls: [engineCall('w3', 0, 2500, true), engineCall('w3', 4000, 40, true)],
      },
      timeouts,
    );
    expect(figures.workflowDoubled).toEqual([]);
    expect(figures.workflowAmbiguous).toEqual(['w3']);
  });

  it('counts a job neither received nor dead-lettered as lost, and a dead-lettered one as not', () => {
    const figures = rawFigures(
      new Set(['w4', 'w5']),
      new Set(['w5']),
      {
        emails: [],
        emailCalls: [],
        engineCalls: [],
      },
      timeouts,
    );
    expect(figures.lost).toEqual(['w4']);
  });

  it('explains an email double only by a message of the job in a call left unanswered', () => {
    const ambiguousJob = 'stripe:e1:email:invoice-paid';
    const plainJob = 'stripe:e2:email:invoice-paid';
    const figures = rawFigures(
      new Set([ambiguousJob, plainJob]),
      new Set(),
      {
        emails: [
          email(ambiguousJob, 'hung'),
          email(ambiguousJob, 'ok-1'),
          email(plainJob, 'ok-1'),
          email(plainJob, 'ok-2'),
        ],
        emailCalls: [emailCall('hung', undefined), emailCall('ok-1', 30), emailCall('ok-2', 30)],
        engineCalls: [],
      },
      timeouts,
    );
    expect(figures.emailDoubled.sort()).toEqual([ambiguousJob, plainJob]);
    expect(figures.emailAmbiguous).toEqual([ambiguousJob]);
    expect(figures.emailDoubledUnexplained).toEqual([plainJob]);
  });

  it('asks the ledger to show as ambiguous only calls surely left unanswered, not answers near the timeout', () => {
    const hung = 'stripe:e3:email:invoice-paid';
    const nearTimeout = 'stripe:e4:email:invoice-paid';
    const lateEmail = 'stripe:e5:email:invoice-paid';
    const figures = rawFigures(
      new Set([hung, nearTimeout, lateEmail, 'w6', 'w7']),
      new Set(),
      {
        emails: [email(hung, 'hung'), email(nearTimeout, 'near'), email(lateEmail, 'late')],
        // Timeout 3000 ms: 2500 ms may or may not have reached the caller in time; 4500 ms did not.
        emailCalls: [
          emailCall('hung', undefined),
          emailCall('near', 2500),
          emailCall('late', 4500),
        ],
        engineCalls: [
          // Timeout 2000 ms: answered at 1900 ms (a slow caller may have missed it), then called again.
          engineCall('w6', 0, 1900, false),
          engineCall('w6', 3000, 40, true),
          // Never answered, then called again.
          engineCall('w7', 0, undefined, false),
          engineCall('w7', 3000, 40, true),
        ],
      },
      timeouts,
    );
    expect(figures.emailAmbiguous.sort()).toEqual([hung, nearTimeout, lateEmail].sort());
    expect(figures.workflowAmbiguous.sort()).toEqual(['w6', 'w7']);
    expect(figures.surelyAmbiguous.sort()).toEqual([hung, lateEmail, 'w7'].sort());
  });
});
