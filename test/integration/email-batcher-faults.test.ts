import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { toSqsRecord } from '../../local/sqs-lambda-event';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { EmailHarness, waitFor } from '../helpers/email-harness';
import { tableName } from '../helpers/local-stack';

const ids = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

describe('email batcher: provider results and faults', () => {
  let harness: EmailHarness;

  beforeEach(async () => {
    harness = await new EmailHarness().open();
  });

  afterEach(async () => {
    await harness.close();
  });

  it('retries or dead-letters only the failed messages of a batch, per their code, and never resends the others', async () => {
    harness.sandbox.state.settings.recipientCodes = { 'inactive@': 406, 'maintenance@': 100 };
    await harness.enqueue([
      ...ids('ok', 3).map((id) => harness.job(id)),
      harness.job('gone', { to: 'Inactive <inactive@example.test>' }),
      harness.job('later', { to: 'maintenance@example.test' }),
    ]);
    await harness.start({ batchSize: 10, windowSeconds: 2 });
    await waitFor(
      () =>
        harness.sandbox.state.calls.some(
          (call) => call.messages > 0 && call.accepted < call.messages,
        ),
      20_000,
    );
    // The provider's maintenance is over before the retry comes.
    harness.sandbox.state.settings.recipientCodes = { 'inactive@': 406 };
    await waitFor(() => harness.sentCounts().size >= 4, 20_000);
    await waitFor(() => harness.telemetry.counts['dead-lettered'] >= 1, 5_000);
    await harness.stopBatchers();

    expect(Object.fromEntries(harness.sentCounts())).toEqual({
      'ok-0': 1,
      'ok-1': 1,
      'ok-2': 1,
      later: 1,
    });
    // Each job was in as many calls as it needed: the three sent and the inactive one once, the
    // one that met maintenance twice.
    const offered = harness.sandbox.state.calls.reduce((sum, call) => sum + call.messages, 0);
    expect(offered).toBe(6);
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.MessageAttributes?.reasonCode?.StringValue).toBe('provider-406');
    expect(letters[0]?.MessageAttributes?.reason?.StringValue).toMatch(/ErrorCode 406: .*inactive/);
    expect(letters[0]?.MessageAttributes?.attempts?.StringValue).toBe('1');
  }, 60_000);

  it('delivers every job once through 429, 500 and a hang before recording, then recovery', async () => {
    harness.sandbox.state.faults.push(
      { status: 429, retryAfter: 1 },
      { status: 429 },
      { status: 500 },
      { hang: 'before', hangMs: 6000 },
    );
    const queued = ids('storm', 20);
    await harness.enqueue(queued.map((id) => harness.job(id)));
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(() => harness.sentCounts().size >= queued.length, 60_000);
    await harness.stopBatchers();

    const letters = await harness.deadLetters();
    const counts = harness.sentCounts();
    expect(letters).toHaveLength(0);
    expect(counts.size).toBe(queued.length - letters.length);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(harness.telemetry.counts.retried).toBeGreaterThan(0);
  }, 90_000);

  it('sends a job twice after a hang past recording only when it counted it ambiguous', async () => {
    harness.sandbox.state.faults.push({ hang: 'after', hangMs: 6000 });
    const queued = ids('hang', 5);
    await harness.enqueue(queued.map((id) => harness.job(id)));
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(
      () => harness.sandbox.state.calls.filter((call) => call.status === 200).length >= 1,
      30_000,
    );
    await harness.stopBatchers();

    const counts = harness.sentCounts();
    const extraCopies = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
    expect(counts.size).toBe(queued.length);
    expect(extraCopies).toBeGreaterThan(0);
    expect(extraCopies).toBeLessThanOrEqual(harness.telemetry.counts.ambiguous);
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 60_000);

  it('sends a job once more, counted ambiguous, when its batcher stopped mid-call after the provider accepted', async () => {
    await harness.enqueue([harness.job('orphan')]);
    // Batcher A receives the job and dies while its call is in flight: the request reaches the
    // sandbox, the answer never comes back, and A never settles anything.
    const { Messages = [] } = await harness.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: harness.queueUrl,
        VisibilityTimeout: 6,
        MessageAttributeNames: ['All'],
        AttributeNames: ['All'],
      }),
    );
    expect(Messages).toHaveLength(1);
    const dying: typeof fetch = (input, init) => {
      void fetch(input, init).catch(() => undefined);
      return new Promise<Response>(() => {});
    };
    const { handle: batcherA } = harness.batcher({}, dying);
    const event: SQSEvent = {
      Records: Messages.map((message) =>
        toSqsRecord(message, { queueArn: 'arn:test', region: 'us-east-1' }),
      ),
    };
    void batcherA(event);
    await waitFor(() => harness.sandbox.state.messages.length === 1, 10_000);

    // Batcher B gets the message once its visibility ends; A's claim has expired by then.
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(() => harness.sandbox.state.messages.length === 2, 30_000);
    await harness.stopBatchers();

    expect(harness.sentCounts().get('orphan')).toBe(2);
    expect(harness.telemetry.counts.ambiguous).toBe(1);
    const ledger = new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'email',
      keepSeconds: 60,
      now: Date.now,
    });
    const entry = await ledger.get(`${harness.id}-orphan`);
    expect(entry).toMatchObject({ status: 'sent', attempts: 2 });
  }, 60_000);

  it('re-reads a rotated token after a 401 and delivers, dead-lettering nothing', async () => {
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await harness.enqueue([harness.job('before-rotation')]);
    await waitFor(() => harness.sentCounts().has('before-rotation'), 20_000);

    harness.sandbox.state.settings.token = 'rotated-token';
    await harness.rotateSecret('rotated-token');
    await harness.enqueue([harness.job('after-rotation')]);
    await waitFor(() => harness.sentCounts().has('after-rotation'), 20_000);
    await harness.stopBatchers();

    expect(harness.sandbox.state.calls.map((call) => call.status)).toEqual([200, 401, 200]);
    expect(harness.telemetry.counts.paused).toBe(0);
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 60_000);

  it('pauses the provider on a token it keeps refusing, keeps the jobs, and delivers once the secret is fixed', async () => {
    harness.sandbox.state.settings.token = 'only-the-provider-knows';
    await harness.enqueue(ids('paused', 3).map((id) => harness.job(id)));
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(() => harness.telemetry.counts.paused >= 1, 20_000);
    const refusedCalls = harness.sandbox.state.calls.length;

    await harness.rotateSecret('only-the-provider-knows');
    await waitFor(() => harness.sentCounts().size === 3, 30_000);
    await harness.stopBatchers();

    // One refused call; the single re-read gave the same token, so no second call: paused at once.
    expect(refusedCalls).toBe(1);
    expect(await harness.deadLetters()).toHaveLength(0);
    expect([...harness.sentCounts().values()]).toEqual([1, 1, 1]);
  }, 60_000);
});
