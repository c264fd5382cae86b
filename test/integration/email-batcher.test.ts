import { listDeadLetters } from '../../shared/dead-letter/dead-letter-index';
import { queueNameOf } from '../../shared/queue/queue-name';
import { EmailHarness } from '../helpers/email/email-harness';
import { tableName } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';

describe('email batcher: delivery once, in the fewest calls', () => {
  let harness: EmailHarness;

  beforeEach(async () => {
    harness = await new EmailHarness().open();
  });

  afterEach(async () => {
    await harness.close();
  });

  it('sends 1,001 jobs of about 1 KB queued before it starts exactly once each, in 3 calls', async () => {
    const jobs = Array.from({ length: 1001 }, (_, index) => harness.job(`bulk-${index}`));
    expect(JSON.stringify(jobs[0]).length).toBeGreaterThanOrEqual(1000);
    await harness.enqueue(jobs);

    await harness.start({ batchSize: 500, windowSeconds: 5 });
    await waitFor(
      '1,001 messages at the sandbox',
      () => harness.sandbox.state.messages.length >= 1001,
      90_000,
    );
    // Nothing left that could still send a second copy.
    await harness.quiet([], 60_000);
    await harness.stopBatchers();

    const counts = harness.sentCounts();
    expect(counts.size).toBe(1001);
    expect([...counts.values()].every((count) => count === 1)).toBe(true);
    expect(harness.sandbox.state.calls.map((call) => call.messages)).toEqual([500, 500, 1]);
    // Issue 19: claims and sent marks go to DynamoDB many jobs at a time, not one request each.
    const requests = harness.dynamoDbRequests;
    const byCommand: Record<string, number> = {};
    for (const name of requests) byCommand[name] = (byCommand[name] ?? 0) + 1;
    // The requests by command show in the diff when the bound is missed.
    expect({ atMostOneFifthPerMessage: requests.length <= 0.2 * 1001, byCommand }).toEqual({
      atMostOneFifthPerMessage: true,
      byCommand,
    });
  }, 120_000);

  it('sends a job repeated in one batch and across batches once', async () => {
    const job = harness.job('dup-1');
    await harness.enqueue([job, job, job]);
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor('two duplicates absorbed', () => harness.telemetry.counts.duplicate >= 2, 20_000);

    await harness.enqueue([job, { ...job, correlationId: 'another-delivery' }]);
    await waitFor(
      'four duplicates absorbed',
      () => harness.telemetry.counts.duplicate >= 4,
      20_000,
    );
    await harness.quiet(['dup-1']);
    await harness.stopBatchers();

    expect(harness.sentCounts().get('dup-1')).toBe(1);
    expect(harness.sandbox.state.calls).toHaveLength(1);
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 60_000);

  it('absorbs a job enqueued again under the same id by a webhook retried after a 503', async () => {
    // Ingest enqueued the job, then answered 503; the sender's retry enqueues it again under the same
    // deterministic id with a new correlation id and receive time.
    const first = harness.job('stripe:evt_1:email:invoice-paid', {
      metadata: { source: 'stripe', eventType: 'invoice.paid', receivedAt: '2026-01-01T00:00:00Z' },
      correlationId: 'first-attempt',
    });
    await harness.enqueue([first], { correlationId: 'first-attempt', source: 'stripe' });
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor('the first job sent', () => harness.telemetry.counts.sent >= 1, 20_000);

    const retried = {
      ...first,
      correlationId: 'retry',
      metadata: { ...first.metadata, receivedAt: '2026-01-01T00:00:09Z' },
    };
    await harness.enqueue([retried], { correlationId: 'retry', source: 'stripe' });
    await waitFor(
      'the retried copy absorbed',
      () => harness.telemetry.counts.duplicate >= 1,
      20_000,
    );
    await harness.quiet(['stripe:evt_1:email:invoice-paid']);
    await harness.stopBatchers();

    expect(harness.sandbox.state.messages).toHaveLength(1);
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 60_000);

  it('dead-letters invalid jobs, jobs over 50 recipients and a reused id at once, with a reason and an index entry', async () => {
    const tooMany = Array.from({ length: 51 }, (_, index) => `r${index}@example.test`);
    await harness.enqueue([
      harness.job('ok-1'),
      '{not json',
      JSON.stringify({
        id: 'no-subject',
        from: 'a@example.test',
        to: 'b@example.test',
        textBody: 'x',
      }),
      harness.job('bad-address', { to: 'not an address' }),
      harness.job('no-body', { textBody: '  ' }),
      harness.job('too-many', { to: tooMany }),
    ]);
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor('ok-1 sent', () => harness.telemetry.counts.sent >= 1, 20_000);
    await harness.enqueue([harness.job('ok-1', { textBody: 'Another body under the same id' })]);
    await waitFor(
      'six jobs dead-lettered',
      () => harness.telemetry.counts['dead-lettered'] >= 6,
      20_000,
    );
    await harness.quiet();
    await harness.stopBatchers();

    const letters = await harness.deadLetters();
    expect(letters).toHaveLength(6);
    const reasons = letters.map((letter) => letter.MessageAttributes?.reason?.StringValue ?? '');
    expect(reasons).toEqual(
      expect.arrayContaining([
        'the message body is not JSON',
        expect.stringMatching(/^invalid email job: subject is missing/),
        expect.stringMatching(/to has 1 value\(s\) that are not email addresses/),
        expect.stringMatching(/no htmlBody or textBody/),
        expect.stringMatching(/to has 51 recipients, over the limit of 50/),
        expect.stringMatching(/id ".*-ok-1" was already used for an email with other content/),
      ]),
    );
    for (const letter of letters) {
      expect(letter.MessageAttributes?.attempts?.StringValue).toBe('0');
      expect(letter.MessageAttributes?.source?.StringValue).toBe('test');
      expect(letter.MessageAttributes?.correlationId?.StringValue).toMatch(/^corr-/);
    }
    expect(harness.sandbox.state.messages).toHaveLength(1);

    const indexed = await listDeadLetters(harness.dynamoDb, tableName('state'), {
      queue: queueNameOf(harness.queueUrl),
    });
    expect(indexed).toHaveLength(6);
    const reused = await listDeadLetters(harness.dynamoDb, tableName('state'), {
      queue: queueNameOf(harness.queueUrl),
      reasonCode: 'reused-id',
      source: 'test',
      eventType: 'test.email',
    });
    expect(reused.map((item) => item.jobId)).toEqual([`${harness.id}-ok-1`]);
  }, 60_000);
});
