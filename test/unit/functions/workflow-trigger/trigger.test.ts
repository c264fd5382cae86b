import type { SQSRecord } from 'aws-lambda';
import { WORKFLOW_CALLS_PER_CLAIM } from '../../../../functions/workflow-trigger/config';
import { makeWorkflowTrigger } from '../../../../functions/workflow-trigger/trigger';
import type { TriggerDeps } from '../../../../functions/workflow-trigger/types';
import type { ClaimResult, LedgerHold, StepResult } from '../../../../shared/ledger/types';
import type { EngineOutcome } from '../../../../shared/workflow/engine';
import { CALLS_PER_TRIAL, loadBreakerSettings } from '../../../../shared/workflow/settings';
import { makeTriggerTelemetry } from '../../../../shared/workflow/telemetry';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

const record = (id: string, attempts = 0): SQSRecord =>
  ({
    messageId: `msg-${id}`,
    body: JSON.stringify({ id, workflow: 'campaign-send', input: { n: 1 } }),
    messageAttributes: { attempts: { stringValue: String(attempts), dataType: 'String' } },
  }) as unknown as SQSRecord;

const holdOf = (jobId: string, ambiguous = false): LedgerHold => ({
  jobId,
  token: `claim-${jobId}`,
  history: [],
  historyCount: 1,
  calls: [],
  ambiguous,
});

function setup(
  options: {
    attempts?: number;
    ambiguousBefore?: boolean;
    outcomes?: EngineOutcome[];
    step?: StepResult;
    refreshedToken?: string;
    permit?: { kind: 'trial'; token: string };
  } = {},
) {
  const outcomes = [...(options.outcomes ?? [])];
  const ledger = {
    claim: jest.fn(
      async (jobId: string): Promise<ClaimResult> => ({
        kind: 'claimed',
        attempts: options.attempts ?? 1,
        ambiguous: false,
        history: [],
        hold: holdOf(jobId, options.ambiguousBefore),
      }),
    ),
    markSent: jest.fn(async (): Promise<StepResult> => options.step ?? 'done'),
    release: jest.fn(async (): Promise<StepResult> => options.step ?? 'done'),
  };
  const deps: TriggerDeps = {
    registry: new Map([['campaign-send', 'webhook/campaign-send-v2']]),
    ledger,
    breaker: {
      permit: jest.fn(async () => options.permit ?? { kind: 'closed' as const }),
      settleTrial: jest.fn(async (): Promise<number | undefined> => undefined),
      open: jest.fn(async () => {}),
      resume: jest.fn(async () => true),
      record: jest.fn(),
      flush: jest.fn(async () => {}),
    },
    call: jest.fn(
      async (): Promise<EngineOutcome> =>
        outcomes.shift() ?? { kind: 'triggered', status: 200, executionId: 'exec-1', latencyMs: 1 },
    ),
    tokenVersion: async () => undefined,
    token: {
      current: async () => 'token',
      refresh: async () => options.refreshedToken,
    },
    deadLetter: jest.fn(async () => ({ messageId: 'dlq-1', indexed: true })),
    defer: jest.fn(async () => new Set<string>()),
    onIndexFailure: jest.fn(),
    telemetry: makeTriggerTelemetry(silent, { addMetric: () => {} }),
    writeFailed: jest.fn(),
    log: { warn: jest.fn() },
    settings: {
      maxAttempts: 3,
      holdRecheckSeconds: 20,
      backoffBaseSeconds: 1,
      backoffMaxSeconds: 10,
      claimMs: 60_000,
      callTimeoutMs: 5000,
    },
    now: () => Date.parse('2026-12-01T00:00:00Z'),
    random: () => 0.5,
    newClaimToken: () => 'claim',
  };
  return { deps, ledger, handle: makeWorkflowTrigger(deps) };
}

const timeout: EngineOutcome = {
  kind: 'retry',
  ambiguous: true,
  error: 'timeout after 5000 ms',
  latencyMs: 5000,
};
const answer500: EngineOutcome = {
  kind: 'retry',
  ambiguous: false,
  status: 500,
  error: 'engine answered 500',
  latencyMs: 2,
};
const refused: EngineOutcome = {
  kind: 'refused',
  status: 401,
  error: 'engine answered 401',
  latencyMs: 2,
};

describe('workflow trigger: ledger steps under the claim', () => {
  it('marks a triggered job sent under its claim', async () => {
    const { handle, ledger } = setup();
    await handle({ Records: [record('a')] });
    expect(ledger.markSent).toHaveBeenCalledWith(holdOf('a'), 'exec-1');
  });

  it('acknowledges a record whose claim was taken over, without re-sending or dead-lettering it', async () => {
    const { handle, deps, ledger } = setup({ outcomes: [answer500], step: 'taken-over' });
    const result = await handle({ Records: [record('a')] });
    expect(ledger.release).toHaveBeenCalledWith(holdOf('a'), 'retry', 'engine answered 500');
    expect(result.batchItemFailures).toEqual([]);
    expect(deps.defer).toHaveBeenCalledWith([]);
    expect(deps.deadLetter).not.toHaveBeenCalled();
  });

  it('does not dead-letter a job whose last attempt lost its claim', async () => {
    const { handle, deps } = setup({ attempts: 3, outcomes: [answer500], step: 'taken-over' });
    await handle({ Records: [record('a', 2)] });
    expect(deps.deadLetter).not.toHaveBeenCalled();
  });

  it('dead-letters a job whose last attempt went unanswered marked ambiguous', async () => {
    const { handle, deps, ledger } = setup({ attempts: 3, outcomes: [timeout] });
    await handle({ Records: [record('a', 2)] });
    expect(ledger.release).toHaveBeenCalledWith(
      { ...holdOf('a'), ambiguous: true },
      'dead',
      timeout.error,
    );
    expect(deps.deadLetter).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ reasonCode: 'attempts-exhausted', ambiguous: true }),
    );
  });

  it('dead-letters a job marked ambiguous when an earlier attempt was', async () => {
    const { handle, deps } = setup({ attempts: 3, ambiguousBefore: true, outcomes: [answer500] });
    await handle({ Records: [record('a', 2)] });
    expect(deps.deadLetter).toHaveBeenCalledWith(
      expect.anything(),
      expect.objectContaining({ ambiguous: true }),
    );
  });

  it('logs and counts a failed step with its error and still re-sends the job', async () => {
    const { handle, deps, ledger } = setup({ outcomes: [answer500] });
    const failure = new Error('throttled');
    ledger.release.mockRejectedValueOnce(failure);
    await handle({ Records: [record('a')] });
    expect(deps.writeFailed).toHaveBeenCalledWith(
      expect.objectContaining({ store: 'ledger', step: 'retry', jobId: 'a', error: failure }),
    );
    expect(deps.defer).toHaveBeenCalledWith([expect.objectContaining({ attempts: 1 })]);
  });

  it('logs and counts a failed claim and leaves the record to SQS', async () => {
    const { handle, deps, ledger } = setup();
    const failure = new Error('table unavailable');
    ledger.claim.mockRejectedValueOnce(failure);
    const result = await handle({ Records: [record('a')] });
    expect(deps.writeFailed).toHaveBeenCalledWith(
      expect.objectContaining({ store: 'ledger', step: 'claim', error: failure }),
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-a' }]);
  });
});

describe('workflow trigger: the invocation time left', () => {
  const clock = (...remaining: number[]) => ({
    getRemainingTimeInMillis: () => (remaining.length > 1 ? remaining.shift() : remaining[0]) ?? 0,
  });

  it('does not call the engine when the call could not finish, and re-sends without an attempt', async () => {
    const { handle, deps, ledger } = setup({ attempts: 2 });
    const result = await handle({ Records: [record('a', 1)] }, clock(7999));
    expect(deps.call).not.toHaveBeenCalled();
    expect(ledger.release).toHaveBeenCalledWith(
      holdOf('a'),
      'retry',
      'too little invocation time left for the call',
      true,
    );
    expect(deps.defer).toHaveBeenCalledWith([
      expect.objectContaining({ delaySeconds: 1, attempts: 1 }),
    ]);
    expect(result.batchItemFailures).toEqual([]);
  });

  it('calls when the call and its settling fit', async () => {
    const { handle, deps } = setup();
    await handle({ Records: [record('a')] }, clock(8000));
    expect(deps.call).toHaveBeenCalledTimes(1);
  });

  it('does not make the second call of a refused token when it could not finish', async () => {
    const { handle, deps } = setup({ outcomes: [refused], refreshedToken: 'new' });
    await handle({ Records: [record('a')] }, clock(60_000, 7000));
    expect(deps.call).toHaveBeenCalledTimes(1);
    expect(deps.defer).toHaveBeenCalledWith([
      expect.objectContaining({ delaySeconds: 1, attempts: 0 }),
    ]);
  });
});

describe('workflow trigger: the breaker trial', () => {
  it('reopens the breaker with the long cool-down when the engine refuses the trial', async () => {
    const { handle, deps } = setup({
      outcomes: [refused],
      permit: { kind: 'trial', token: 't-1' },
    });
    await handle({ Records: [record('a'), record('b')] });
    expect(deps.breaker.settleTrial).toHaveBeenCalledWith(
      't-1',
      false,
      'trial call refused: the engine refuses our configuration',
      { tokenVersion: undefined },
    );
  });

  it('reopens with the short cool-down when the trial call failed', async () => {
    const { handle, deps } = setup({
      outcomes: [answer500],
      permit: { kind: 'trial', token: 't-1' },
    });
    await handle({ Records: [record('a')] });
    expect(deps.breaker.settleTrial).toHaveBeenCalledWith(
      't-1',
      false,
      'trial call failed',
      undefined,
    );
  });

  it("holds the rest of a failed trial's batch until the new cool-down ends", async () => {
    const { handle, deps } = setup({
      outcomes: [answer500],
      permit: { kind: 'trial', token: 't-1' },
    });
    jest.mocked(deps.breaker.settleTrial).mockResolvedValue(2000);
    await handle({ Records: [record('a'), record('b'), record('c')] });
    // The trial job waits its own backoff; the other two the 2 s cool-down plus up to 3 s of spread.
    expect(deps.defer).toHaveBeenCalledWith(
      expect.arrayContaining([
        expect.objectContaining({
          record: expect.objectContaining({ messageId: 'msg-b' }),
          delaySeconds: 4,
        }),
        expect.objectContaining({
          record: expect.objectContaining({ messageId: 'msg-c' }),
          delaySeconds: 4,
        }),
      ]),
    );
  });

  it('uses the default cool-down from the environment: 2 s first, 10 % longer per failed trial, 30 s at most', () => {
    const settings = loadBreakerSettings({}, 5000);
    expect(settings).toMatchObject({
      firstCooldownSeconds: 2,
      cooldownGrowth: 1.1,
      cooldownSeconds: 30,
      refusedCooldownSeconds: 300,
    });
    expect(
      loadBreakerSettings(
        { WORKFLOW_BREAKER_FIRST_COOLDOWN_SECONDS: '60', WORKFLOW_BREAKER_COOLDOWN_SECONDS: '10' },
        5000,
      ).firstCooldownSeconds,
    ).toBe(10);
  });

  it('leases the trial for every engine call it can make', () => {
    const settings = loadBreakerSettings({}, 5000);
    expect(settings.trialLeaseMs).toBeGreaterThan(CALLS_PER_TRIAL * 5000);
    expect(CALLS_PER_TRIAL).toBe(WORKFLOW_CALLS_PER_CLAIM);
  });
});

describe('workflow trigger: what it hands back to SQS', () => {
  it('leaves a record to SQS when its ledger claim fails, and calls nothing (the job is not lost)', async () => {
    const { handle, deps, ledger } = setup();
    ledger.claim.mockImplementation(async () => {
      throw new Error('DynamoDB unavailable');
    });
    const result = await handle({ Records: [record('a')] });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-a' }]);
    expect(deps.call).not.toHaveBeenCalled();
  });

  it('acknowledges a copy of a job already triggered, without calling the engine again', async () => {
    const { handle, deps, ledger } = setup();
    ledger.claim.mockImplementation(async () => ({ kind: 'sent', messageId: 'exec-0' }));
    const result = await handle({ Records: [record('b')] });

    expect(result.batchItemFailures).toEqual([]);
    expect(deps.defer).toHaveBeenCalledWith([]);
    expect(deps.call).not.toHaveBeenCalled();
  });

  it('records a triggered job as sent and acknowledges it', async () => {
    const { handle, deps, ledger } = setup();
    const result = await handle({ Records: [record('c')] });

    expect(deps.call).toHaveBeenCalledTimes(1);
    expect(ledger.markSent).toHaveBeenCalledWith(holdOf('c'), 'exec-1');
    expect(result.batchItemFailures).toEqual([]);
  });
});
