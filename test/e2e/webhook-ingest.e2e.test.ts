import { SQSClient } from '@aws-sdk/client-sqs';
import { drain, localSecret } from '../helpers/ingest-harness';
import { localStack } from '../helpers/local-stack';
import { sample, signed } from '../helpers/webhook-requests';

describe('webhook ingest through serverless offline', () => {
  const state = localStack();
  const sqs = new SQSClient({ endpoint: state.sqs, region: state.region });
  afterAll(() => sqs.destroy());

  const post = (source: string, request: { body: string; headers: Record<string, string> }) =>
    fetch(`${state.http}/webhooks/${source}`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });

  it('turns a signed request into a message in the local queue with the right body and attributes', async () => {
    const envelope = sample('stripe', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));
    request.headers['X-Correlation-Id'] = 'e2e-corr-1';

    const response = await post('stripe', request);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ eventId, status: 'accepted', routes: 1 });
    const queueUrl = state.queues.WorkflowJobsQueue?.url as string;
    const mine = (await drain(sqs, queueUrl)).filter((m) => m.Body?.includes(eventId));
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0]?.Body ?? '{}')).toMatchObject({
      id: `stripe:${eventId}:workflow:payments`,
      workflow: 'payments',
      correlationId: 'e2e-corr-1',
      input: { source: 'stripe', eventType: 'payment_intent.succeeded', eventId },
    });
    expect(mine[0]?.MessageAttributes).toMatchObject({
      correlationId: { StringValue: 'e2e-corr-1', DataType: 'String' },
      source: { StringValue: 'stripe', DataType: 'String' },
      eventType: { StringValue: 'payment_intent.succeeded', DataType: 'String' },
    });
  });

  it('answers a bad signature with a 401 problem document', async () => {
    const request = signed(
      { scheme: 'github' },
      sample('github', { fresh: true }),
      'not-the-secret',
    );

    const response = await post('github', request);

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({ status: 401, title: 'Invalid signature' });
  });
});
