import { localSecret } from '../helpers/ingest/ingest-harness';
import { sample, signed } from '../helpers/ingest/webhook-requests';
import { localStack } from '../helpers/stack/local-stack';

jest.setTimeout(60_000);

describe('webhook ingest through serverless offline', () => {
  const state = localStack();

  /** The sandbox engine's calls for this event, after a bounded wait for the first. */
  const engineCalls = async (eventId: string) => {
    const calls = async () => {
      const response = await fetch(`${state.workflowSandbox}/sandbox/calls`, {
        signal: AbortSignal.timeout(5000),
      });
      const body = (await response.json()) as { calls: Record<string, unknown>[] };
      return body.calls.filter((call) => JSON.stringify(call.body).includes(eventId));
    };
    const deadline = Date.now() + 20_000;
    while ((await calls()).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Anything triggered twice would have arrived by now too.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return calls();
  };

  const post = (source: string, request: { body: string; headers: Record<string, string> }) =>
    fetch(`${state.http}/webhooks/${source}`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });

  it('turns a signed request into one call of its workflow at the engine, with its body, correlation id and idempotency key', async () => {
    const envelope = sample('stripe', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));
    request.headers['X-Correlation-Id'] = 'e2e-corr-1';

    const response = await post('stripe', request);

    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ eventId, status: 'accepted', routes: 1 });
    // The workflow trigger consumes the stack's workflow queue: the job shows at the sandbox engine,
    // with its body, the correlation id and source carried through, and its id as Idempotency-Key.
    const mine = await engineCalls(eventId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      path: 'webhook/payments',
      idempotencyKey: `stripe:${eventId}:workflow:payments`,
      body: {
        source: 'stripe',
        eventType: 'payment_intent.succeeded',
        eventId,
        _metadata: {
          correlationId: 'e2e-corr-1',
          source: 'stripe',
          jobId: `stripe:${eventId}:workflow:payments`,
        },
      },
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
