import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { toSqsRecord } from '../../local/sqs/lambda-event';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { EmailHarness } from '../helpers/email/email-harness';
import { tableName } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';

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
      'a call with a refused message',
      () =>
        harness.sandbox.state.calls.some(
          (call) => call.messages > 0 && call.accepted < call.messages,
        ),
      20_000,
    );
    // The provider's maintenance is over before the retry comes.
    harness.sandbox.state.settings.recipientCodes = { 'inactive@': 406 };
    await waitFor('four jobs sent', () => harness.sentCounts().size >= 4, 20_000);
    await waitFor(
      'one job dead-lettered',
      () => harness.telemetry.counts['dead-lettered'] >= 1,
      5_000,
    );
    await harness.quiet(['ok-0', 'ok-1', 'ok-2', 'gone', 'later']);
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

  it('splits a call refused whole for one bad message: that one dead-lettered with its reason, the others sent in the same attempt', async () => {
    // The sandbox refuses, with a whole-call 422 ErrorCode 300, any call holding a message to poison@.
    harness.sandbox.state.settings.callCodes = { 'poison@': 300 };
    const good = ids('fine', 9);
    await harness.enqueue([
      ...good.slice(0, 4).map((id) => harness.job(id)),
      harness.job('poison', { to: 'poison@example.test' }),
      ...good.slice(4).map((id) => harness.job(id)),
    ]);
    await harness.start({ batchSize: 10, windowSeconds: 2 });
    await waitFor(
      'the bad message dead-lettered',
      () => harness.telemetry.counts['dead-lettered'] >= 1,
      30_000,
    );
    await harness.quiet([...good, 'poison']);
    await harness.stopBatchers();

    // The call was refused whole with several messages in it, then split.
    expect(
      harness.sandbox.state.calls.some((call) => call.status === 422 && call.messages > 1),
    ).toBe(true);
    expect(Object.fromEntries(harness.sentCounts())).toEqual(
      Object.fromEntries(good.map((id) => [id, 1])),
    );
    // Nobody spent a second attempt: the good ones were sent in the attempt that met the 422.
    expect(harness.telemetry.counts.retried).toBe(0);
    const ledger = new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'email',
      keepSeconds: 60,
      now: Date.now,
    });
    for (const id of good) {
      expect(await ledger.get(`${harness.id}-${id}`)).toMatchObject({
        status: 'sent',
        attempts: 1,
      });
    }
    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]?.MessageAttributes?.jobId?.StringValue).toBe(`${harness.id}-poison`);
    expect(letters[0]?.MessageAttributes?.reasonCode?.StringValue).toBe('provider-300');
    expect(letters[0]?.MessageAttributes?.reason?.StringValue).toMatch(/ErrorCode 300: /);
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
    await waitFor('every job sent', () => harness.sentCounts().size >= queued.length, 60_000);
    await harness.quiet(queued);
    await harness.stopBatchers();

    const letters = await harness.deadLetters();
    const counts = harness.sentCounts();
    expect(letters).toHaveLength(0);
    expect(counts.size).toBe(queued.length - letters.length);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(harness.telemetry.counts.retried).toBeGreaterThan(0);
  }, 90_000);

  // The call is recorded by the provider and never answered: the batcher asks the provider what it
  // took before sending again, finds every job, and sends none of them twice.
  it('sends each job once after a hang past recording (reconciliation)', async () => {
    harness.sandbox.state.faults.push({ hang: 'after', hangMs: 6000 });
    const queued = ids('hang', 5);
    await harness.enqueue(queued.map((id) => harness.job(id)));
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(
      'every job found at the provider',
      () => harness.telemetry.counts.found >= queued.length,
      30_000,
    );
    await harness.quiet(queued);
    await harness.stopBatchers();

    // Counted from the sandbox's raw records: one call, every job in it once, none sent again.
    const counts = harness.sentCounts();
    expect(harness.sandbox.state.calls).toHaveLength(1);
    expect([...counts.values()]).toEqual(queued.map(() => 1));
    expect(await harness.deadLetters()).toHaveLength(0);
    // One search for the one ambiguous call, not one per job.
    expect(harness.sandbox.state.searches).toHaveLength(1);
    expect(harness.telemetry.counts['resent-after-empty-search']).toBe(0);
  }, 60_000);

  // Batcher B finds the orphan's call on record in the ledger, asks the provider, and finds it sent.
  it('sends a job once when its batcher stopped mid-call after the provider accepted (reconciliation)', async () => {
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
    await waitFor(
      'the orphan at the sandbox',
      () => harness.sandbox.state.messages.length === 1,
      10_000,
    );

    // Batcher B gets the message once its visibility ends; A's claim has expired by then.
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(
      'batcher B to settle the orphan',
      () => harness.telemetry.counts.sent + harness.telemetry.counts.ambiguous >= 1,
      30_000,
    );
    await harness.quiet(['orphan']);
    await harness.stopBatchers();

    // The provider has the job once: B found it by A's call, recorded in the ledger with A's claim.
    expect(harness.sentCounts().get('orphan')).toBe(1);
    expect(harness.sandbox.state.calls).toHaveLength(1);
    expect(harness.telemetry.counts.found).toBe(1);
    const ledger = new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'email',
      keepSeconds: 60,
      now: Date.now,
    });
    const entry = await ledger.get(`${harness.id}-orphan`);
    expect(entry).toMatchObject({ status: 'sent' });
  }, 60_000);

  it('re-reads a rotated token after a 401 and delivers, dead-lettering nothing', async () => {
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await harness.enqueue([harness.job('before-rotation')]);
    await waitFor(
      'before-rotation sent',
      () => harness.sentCounts().has('before-rotation'),
      20_000,
    );

    harness.sandbox.state.settings.token = 'rotated-token';
    await harness.rotateSecret('rotated-token');
    await harness.enqueue([harness.job('after-rotation')]);
    await waitFor('after-rotation sent', () => harness.sentCounts().has('after-rotation'), 20_000);
    await harness.quiet(['before-rotation', 'after-rotation']);
    await harness.stopBatchers();

    expect(harness.sandbox.state.calls.map((call) => call.status)).toEqual([200, 401, 200]);
    expect(harness.telemetry.counts.paused).toBe(0);
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 60_000);

  it('pauses the provider on a token it keeps refusing, keeps the jobs, and delivers once the secret is fixed', async () => {
    harness.sandbox.state.settings.token = 'only-the-provider-knows';
    await harness.enqueue(ids('paused', 3).map((id) => harness.job(id)));
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor('the provider paused', () => harness.telemetry.counts.paused >= 1, 20_000);
    const refusedCalls = harness.sandbox.state.calls.length;

    await harness.rotateSecret('only-the-provider-knows');
    await waitFor('three jobs sent', () => harness.sentCounts().size === 3, 30_000);
    await harness.quiet(ids('paused', 3));
    await harness.stopBatchers();

    // One refused call; the single re-read gave the same token, so no second call: paused at once.
    expect(refusedCalls).toBe(1);
    expect(await harness.deadLetters()).toHaveLength(0);
    expect([...harness.sentCounts().values()]).toEqual([1, 1, 1]);
  }, 60_000);
});
