import { URL } from 'node:url';
import { drain, ingestHarness, localSecret } from '../helpers/ingest/ingest-harness';
import { httpEvent, sample, signed } from '../helpers/ingest/webhook-requests';
import { localStack } from '../helpers/stack/local-stack';
import { TcpProxy } from '../helpers/stack/tcp-proxy';

describe('webhook ingest when SQS is unreachable', () => {
  const sqsUrl = new URL(localStack().sqs);
  const proxy = new TcpProxy(sqsUrl.hostname, Number(sqsUrl.port));
  let harness: Awaited<ReturnType<typeof ingestHarness>>;

  beforeAll(async () => {
    await proxy.start();
    harness = await ingestHarness({ sqsEndpoint: proxy.url });
  });
  afterAll(async () => {
    await proxy.stop();
    await harness.close();
  });

  it('answers 503, records nothing as done, and the same delivery succeeds once SQS is back', async () => {
    const envelope = sample('stripe', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));

    await proxy.cut();
    let failed: Awaited<ReturnType<typeof harness.ingest>>;
    try {
      failed = await harness.ingest(httpEvent('stripe', request));
    } finally {
      await proxy.restore();
    }
    const recordAfterFailure = await harness.dedupeRecord(`stripe:${eventId}`);
    const retried = await harness.ingest(httpEvent('stripe', request));

    expect(failed.statusCode).toBe(503);
    expect(JSON.parse(failed.body ?? '')).toMatchObject({
      status: 503,
      title: 'Service unavailable',
    });
    expect(recordAfterFailure).toBeUndefined();
    expect(retried.statusCode).toBe(202);
    const messages = await drain(harness.sqs, harness.queues.workflowJobs);
    expect(messages.map((m) => JSON.parse(m.Body ?? '{}').id)).toEqual([
      `stripe:${eventId}:workflow:payments`,
    ]);
  });
});
