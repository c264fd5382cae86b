import { createHash, randomUUID } from 'node:crypto';
import { listDeadLetters } from '../../shared/dead-letter/dead-letter-index';
import { queueNameOf } from '../../shared/queue/queue-name';
import { drain, ingestHarness, localSecret } from '../helpers/ingest/ingest-harness';
import { httpEvent, sample, signed } from '../helpers/ingest/webhook-requests';
import { tableName } from '../helpers/stack/local-stack';

type Harness = Awaited<ReturnType<typeof ingestHarness>>;

const now = () => Math.floor(Date.now() / 1000);
const bodyOf = (message: { Body?: string }) => JSON.parse(message.Body ?? '{}');

describe('webhook ingest against the local servers', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await ingestHarness();
  });
  afterAll(() => harness.close());

  it('puts a verified event in the workflow queue with its id, body and attributes', async () => {
    const envelope = sample('stripe', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));
    request.headers['x-correlation-id'] = 'it-corr-1';

    const response = await harness.ingest(httpEvent('stripe', request));

    expect(response.statusCode).toBe(202);
    const [message, ...others] = await drain(harness.sqs, harness.queues.workflowJobs);
    expect(others).toHaveLength(0);
    expect(bodyOf(message ?? {})).toMatchObject({
      id: `stripe:${eventId}:workflow:payments`,
      workflow: 'payments',
      correlationId: 'it-corr-1',
    });
    expect(message?.MessageAttributes?.correlationId?.StringValue).toBe('it-corr-1');
    expect(message?.MessageAttributes?.eventType?.StringValue).toBe('payment_intent.succeeded');
    expect(await harness.dedupeRecord(`stripe:${eventId}`)).toMatchObject({
      status: { S: 'COMPLETED' },
    });
  });

  it.each([
    ['an unknown source', 404, () => ({ ...stripeCase(), source: 'nobody' })],
    ['an oversize body', 413, () => stripeCase((r) => ({ ...r, body: r.body.padEnd(300 * 1024) }))],
    ['malformed JSON', 400, () => githubCase('{"ref": ')],
    [
      'JSON nested 20,000 levels deep',
      400,
      () => githubCase(`{"ref":${'['.repeat(20_000)}${']'.repeat(20_000)}}`),
    ],
    [
      'a wrong content type',
      415,
      () => stripeCase((r) => ({ ...r, headers: { ...r.headers, 'Content-Type': 'text/plain' } })),
    ],
  ])('rejects %s with %i and leaves no message and no dedupe record', async (_w, status, make) => {
    const { source, request, dedupeKey } = make();

    const response = await harness.ingest(httpEvent(source, request));

    expect(response.statusCode).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    for (const queueUrl of Object.values(harness.queues)) {
      expect(await drain(harness.sqs, queueUrl)).toHaveLength(0);
    }
    expect(await harness.dedupeRecord(dedupeKey)).toBeUndefined();
  });

  it('turns 20 concurrent identical deliveries into exactly one message per route', async () => {
    const request = signed(
      { scheme: 'stripe' },
      sample('stripe', { fresh: true }),
      localSecret('stripe'),
    );

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => harness.ingest(httpEvent('stripe', request))),
    );
    const again = await harness.ingest(httpEvent('stripe', request));

    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(statuses).toContain(202);
    expect(again.statusCode).toBe(202);
    expect(await drain(harness.sqs, harness.queues.workflowJobs)).toHaveLength(1);
  });

  it('absorbs a Slack retry that carries a new timestamp and the same event_id', async () => {
    const envelope = sample('slack', { fresh: true });
    const first = signed({ scheme: 'slack' }, envelope, localSecret('slack'), now() - 30);
    const retry = signed({ scheme: 'slack' }, envelope, localSecret('slack'), now());
    retry.headers['X-Slack-Retry-Num'] = '1';

    const responses = [
      await harness.ingest(httpEvent('slack', first)),
      await harness.ingest(httpEvent('slack', retry)),
    ];

    expect(responses.map((r) => r.statusCode)).toEqual([202, 202]);
    expect(responses[1]?.body).toBe(responses[0]?.body);
    expect(await drain(harness.sqs, harness.queues.workflowJobs)).toHaveLength(1);
  });

  it('absorbs a GitHub replay of the same body under a fresh delivery id', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: randomUUID() });
    const original = githubSigned(body, randomUUID());
    const replay = githubSigned(body, randomUUID());

    const first = await harness.ingest(httpEvent('github', original));
    const second = await harness.ingest(httpEvent('github', replay));

    expect([first.statusCode, second.statusCode]).toEqual([202, 202]);
    expect(await drain(harness.sqs, harness.queues.workflowJobs)).toHaveLength(1);
    expect(await harness.dedupeRecord(githubCase(body).dedupeKey)).toMatchObject({
      status: { S: 'COMPLETED' },
    });
  });

  it('sends an email route whose template cannot be filled to the email DLQ, with its reason and an index entry', async () => {
    const envelope = sample('stripe-invoice-paid', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    delete (envelope.body as { data: { object: Record<string, unknown> } }).data.object
      .customer_email;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));

    const response = await harness.ingest(httpEvent('stripe', request));

    expect(response.statusCode).toBe(202);
    expect(await drain(harness.sqs, harness.queues.emailJobs)).toHaveLength(0);
    const [letter, ...others] = await drain(harness.sqs, harness.queues.emailJobsDlq);
    expect(others).toHaveLength(0);
    expect(bodyOf(letter ?? {}).id).toBe(`stripe:${eventId}:email:invoice-paid`);
    expect(letter?.MessageAttributes?.reason?.StringValue).toMatch(/customer_email/);
    expect(letter?.MessageAttributes?.attempts?.StringValue).toBe('0');
    const queue = queueNameOf(harness.queues.emailJobs);
    const indexed = await listDeadLetters(harness.dynamoDb, tableName('state'), { queue });
    expect(indexed).toEqual([
      expect.objectContaining({
        reasonCode: 'unfillable-template',
        source: 'stripe',
        eventType: 'invoice.paid',
        jobId: `stripe:${eventId}:email:invoice-paid`,
      }),
    ]);
  });

  it('accepts a base64-encoded body and upper-case header names', async () => {
    const request = signed(
      { scheme: 'shopify' },
      sample('shopify', { fresh: true }),
      localSecret('shopify'),
    );
    const upper = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name.toUpperCase(), value]),
    );

    const response = await harness.ingest(
      httpEvent('shopify', { ...request, headers: upper }, { base64: true }),
    );

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ routes: 2 });
    expect(await drain(harness.sqs, harness.queues.workflowJobs)).toHaveLength(1);
    expect(await drain(harness.sqs, harness.queues.emailJobs)).toHaveLength(1);
  });
});

type Req = { body: string; headers: Record<string, string> };

function githubSigned(body: string, deliveryId = randomUUID()): Req {
  const envelope = { headers: { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': deliveryId }, body };
  return signed({ scheme: 'github' }, envelope, localSecret('github'));
}

/** A signed Stripe delivery of a fresh event, optionally spoiled, and the dedupe key it would get. */
function stripeCase(spoil: (r: Req) => Req = (r) => r) {
  const envelope = sample('stripe', { fresh: true });
  const eventId = (envelope.body as { id: string }).id;
  const request = spoil(signed({ scheme: 'stripe' }, envelope, localSecret('stripe')));
  return { source: 'stripe', request, dedupeKey: `stripe:${eventId}` };
}

/** A signed GitHub delivery of `body` and the dedupe key it would get (the body's hash). */
function githubCase(body: string) {
  const hash = createHash('sha256').update(body).digest('hex');
  return { source: 'github', request: githubSigned(body), dedupeKey: `github:sha256:${hash}` };
}
