import type { SQSRecord } from 'aws-lambda';
import { makeTriggerTelemetry } from '../../../../functions/workflow-trigger/telemetry';
import {
  makeWorkflowTrigger,
  type TriggerDeps,
} from '../../../../functions/workflow-trigger/trigger';
import type { ClaimResult } from '../../../../shared/ledger/job-ledger';
import type { EngineOutcome } from '../../../../shared/workflow/engine';

const record = (id: string): SQSRecord =>
  ({
    messageId: `msg-${id}`,
    body: JSON.stringify({ id, workflow: 'campaign-send', input: { campaignId: id } }),
    messageAttributes: {},
  }) as unknown as SQSRecord;

const silent = { info() {}, warn() {}, error() {}, debug() {} };

function deps(claim: () => Promise<ClaimResult>) {
  const call = jest.fn(
    async (): Promise<EngineOutcome> => ({
      kind: 'triggered',
      status: 200,
      executionId: 'exec-1',
      latencyMs: 1,
    }),
  );
  const d: TriggerDeps = {
    registry: new Map([['campaign-send', 'webhook/campaign-send']]),
    ledger: {
      claim: jest.fn(claim),
      markSent: jest.fn(async () => {}),
      release: jest.fn(async () => {}),
    },
    breaker: {
      permit: jest.fn(async () => ({ kind: 'closed' as const })),
      settleTrial: jest.fn(async () => {}),
      open: jest.fn(async () => {}),
      record: jest.fn(),
      flush: jest.fn(async () => {}),
    },
    call,
    token: { current: async () => 'token', refresh: async () => undefined },
    telemetry: makeTriggerTelemetry(silent, { addMetric: () => {} }),
    log: { warn: jest.fn() },
    settings: { maxAttempts: 4, backoffBaseSeconds: 1, backoffMaxSeconds: 5, claimMs: 60_000 },
    now: () => 1_000_000,
    random: () => 0.5,
    newClaimToken: () => 'claim',
    deadLetter: jest.fn(async () => ({ messageId: 'dlq-1', indexed: true })),
    defer: jest.fn(async () => new Set<string>()),
    onIndexFailure: jest.fn(),
  } as unknown as TriggerDeps;
  return { d, call };
}

describe('workflow trigger: what it hands back to SQS', () => {
  it('leaves a record to SQS when its ledger claim fails, and calls nothing (the job is not lost)', async () => {
    const { d, call } = deps(async () => {
      throw new Error('DynamoDB unavailable');
    });
    const result = await makeWorkflowTrigger(d)({ Records: [record('a')] });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-a' }]);
    expect(call).not.toHaveBeenCalled();
  });

  it('acknowledges a copy of a job already triggered, without calling the engine again', async () => {
    const { d, call } = deps(async () => ({ kind: 'sent', messageId: 'exec-0' }));
    const result = await makeWorkflowTrigger(d)({ Records: [record('b')] });

    expect(result.batchItemFailures).toEqual([]);
    expect(d.defer).toHaveBeenCalledWith([]);
    expect(call).not.toHaveBeenCalled();
  });

  it('records a triggered job as sent and acknowledges it', async () => {
    const claimed: ClaimResult = { kind: 'claimed', attempts: 1, ambiguous: false, history: [] };
    const { d, call } = deps(async () => claimed);
    const result = await makeWorkflowTrigger(d)({ Records: [record('c')] });

    expect(call).toHaveBeenCalledTimes(1);
    expect(d.ledger.markSent).toHaveBeenCalledWith('c', 'exec-1');
    expect(result.batchItemFailures).toEqual([]);
  });
});
