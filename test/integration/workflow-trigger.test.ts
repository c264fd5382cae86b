import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { tableName } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';
import { WorkflowHarness, workflowJob } from '../helpers/workflow/workflow-harness';

describe('workflow trigger', () => {
  let harness: WorkflowHarness;

  beforeEach(async () => {
    harness = await new WorkflowHarness().open();
  });

  afterEach(async () => {
    await harness.close();
  });

  const ledgerOf = async (jobId: string) => {
    const documents = DynamoDBDocumentClient.from(harness.dynamoDb);
    const { Item } = await documents.send(
      new GetCommand({
        TableName: tableName('state'),
        Key: { pk: `job#workflow#${jobId}`, sk: 'ledger' },
        ConsistentRead: true,
      }),
    );
    return Item;
  };

  it('triggers once after the engine fails twice, with the same Idempotency-Key on every attempt', async () => {
    harness.sandbox.fault({ status: 503, times: 2 });
    await harness.enqueue(workflowJob('retry-1'));
    await harness.start();
    await waitFor('one trigger', () => harness.telemetry.counts.triggered >= 1, 30_000);
    await harness.stopTriggers();

    const calls = harness.callsFor('retry-1');
    expect(calls.map((call) => call.status)).toEqual([503, 503, 200]);
    expect(harness.sandbox.executions()).toHaveLength(1);
    const body = calls[2]?.body as { campaignId: string; _metadata: Record<string, unknown> };
    expect(body.campaignId).toBe('c-retry-1');
    expect(body._metadata).toMatchObject({ jobId: 'retry-1', source: 'test', attempt: 3 });
    const ledger = await ledgerOf('retry-1');
    expect(ledger).toMatchObject({
      status: 'sent',
      messageId: harness.sandbox.executions()[0]?.executionId,
      attempts: 3,
    });
  }, 40_000);

  it('dead-letters a job after the configured attempts when the engine always fails, with its history', async () => {
    harness.sandbox.configure({ alwaysStatus: 500 });
    await harness.enqueue(workflowJob('down-1'));
    // A breaker that never opens here, so the attempts are what ends it.
    await harness.start({ env: { WORKFLOW_BREAKER_MIN_CALLS: '1000' } });
    await waitFor('one dead letter', () => harness.telemetry.counts['dead-lettered'] >= 1, 30_000);
    await harness.stopTriggers();

    expect(harness.callsFor('down-1')).toHaveLength(4);
    const [letter] = await harness.deadLetters();
    expect(letter?.MessageAttributes?.reasonCode?.StringValue).toBe('attempts-exhausted');
    expect(letter?.MessageAttributes?.attempts?.StringValue).toBe('4');
    expect(letter?.MessageAttributes?.reason?.StringValue).toContain('history:');
    expect(await ledgerOf('down-1')).toMatchObject({ status: 'dead', attempts: 4 });
  }, 40_000);

  it('dead-letters a job the engine answers 400 at once, and an unknown workflow without calling', async () => {
    harness.sandbox.fault({ status: 400 });
    await harness.enqueue(workflowJob('bad-1'));
    await harness.enqueue(workflowJob('unknown-1', 'no-such-workflow'));
    await harness.start();
    await waitFor('two dead letters', () => harness.telemetry.counts['dead-lettered'] >= 2, 20_000);
    await harness.stopTriggers();

    const letters = await harness.deadLetters();
    const codes = letters.map((letter) => letter.MessageAttributes?.reasonCode?.StringValue).sort();
    expect(codes).toEqual(['engine-400', 'unknown-workflow']);
    expect(harness.callsFor('bad-1')).toHaveLength(1);
    expect(harness.callsFor('unknown-1')).toHaveLength(0);
  }, 30_000);

  it('cuts a hung call at its timeout, counts it ambiguous and retries it with the same key', async () => {
    harness.sandbox.fault({ hang: 'after', hangMs: 10_000 });
    await harness.enqueue(workflowJob('hang-1'));
    await harness.start();
    await waitFor('one trigger', () => harness.telemetry.counts.triggered >= 1, 30_000);
    await harness.stopTriggers();

    expect(harness.telemetry.counts.ambiguous).toBeGreaterThanOrEqual(1);
    const calls = harness.callsFor('hang-1');
    expect(calls).toHaveLength(2);
    // The engine honoured the key: the retry got the execution the hung call had started.
    expect(harness.sandbox.executions()).toHaveLength(1);
    expect(calls[1]?.replayed).toBe(true);
  }, 40_000);

  it('triggers the same job queued twice once', async () => {
    const job = workflowJob('twice-1');
    await harness.enqueue(job);
    await harness.enqueue({ ...job, correlationId: 'another-delivery' });
    await harness.start();
    await waitFor(
      'both copies handled',
      () => harness.telemetry.counts.triggered + harness.telemetry.counts.duplicate >= 2,
      20_000,
    );
    await harness.stopTriggers();

    expect(harness.callsFor('twice-1').filter((call) => call.status === 200)).toHaveLength(1);
    expect(harness.telemetry.counts.triggered).toBe(1);
  }, 30_000);
});
