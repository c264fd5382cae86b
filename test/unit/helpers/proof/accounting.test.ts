import { account, type Observed } from '../../../helpers/proof/accounting';
import type { SendOutcome } from '../../../helpers/proof/sender';
import type { PlannedEvent } from '../../../helpers/proof/webhooks';

const event = (index: number, jobId: string): PlannedEvent =>
  ({
    index,
    source: 'stripe',
    eventType: 'invoice.paid',
    body: '{}',
    headers: {},
    eventId: `evt_${index}`,
    jobIds: [jobId],
  }) as PlannedEvent;

const outcome = (planned: PlannedEvent, status: number | 'gave-up'): SendOutcome =>
  ({
    delivery: { event: planned, duplicate: false },
    status,
    eventId: status === 'gave-up' ? undefined : planned.eventId,
    attempts: 1,
    retries: [],
  }) as unknown as SendOutcome;

const observed = (executionKeys: string[]): Observed => ({
  emails: [],
  emailCalls: [],
  executions: executionKeys.map((key, i) => ({ executionId: `x${i}`, idempotencyKey: key })),
  engineCalls: [],
  deadLetters: [],
  index: [],
  ledger: [],
  timeouts: { emailMs: 3000, engineMs: 3000 },
});

describe('proof accounting of webhooks the sender gave up on', () => {
  const taken = event(1, 'job-a');
  const givenUp = event(2, 'job-b');

  it('counts the jobs of a given-up event done anyway apart, not as outputs of nothing sent', () => {
    const a = account(
      [outcome(taken, 202), outcome(givenUp, 'gave-up')],
      observed(['job-a', 'job-b']),
    );
    expect(a.gaveUp).toBe(1);
    expect(a.outputsOfGivenUp).toBe(1);
    expect(a.unexpectedOutputs).toBe(0);
    expect(a.lost).toEqual([]);
  });

  it('still counts a job of a given-up event done twice as doubled', () => {
    const a = account([outcome(givenUp, 'gave-up')], observed(['job-b', 'job-b']));
    expect(a.doubled).toEqual(['job-b']);
    expect(a.doubledUnexplained).toEqual(['job-b']);
  });

  it('counts an output no event of the run asked for as unexpected', () => {
    const a = account([outcome(taken, 202)], observed(['job-a', 'job-z']));
    expect(a.unexpectedOutputs).toBe(1);
  });
});
