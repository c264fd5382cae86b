import { randomUUID } from 'node:crypto';
import secrets from '../fixtures/secrets.json';
import { localStack } from '../helpers/stack/local-stack';

jest.setTimeout(60_000);

const apiKey = secrets['connector-suite/local/api-keys/workflows'].current;

describe('POST /workflows/{name} through serverless offline', () => {
  const state = localStack();

  const post = (name: string, body: string, headers: Record<string, string>) =>
    fetch(`${state.http}/workflows/${name}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(15_000),
    });

  const engineCalls = async (jobId: string) => {
    const response = await fetch(`${state.workflowSandbox}/sandbox/calls`, {
      signal: AbortSignal.timeout(5000),
    });
    const { calls } = (await response.json()) as { calls: { idempotencyKey?: string }[] };
    return calls.filter((call) => call.idempotencyKey === jobId);
  };

  it('triggers the workflow at the sandbox engine and answers 200 with its execution id', async () => {
    const key = `e2e-${randomUUID()}`;
    const headers = {
      authorization: `Bearer ${apiKey}`,
      'idempotency-key': key,
      'x-correlation-id': 'e2e-direct-1',
    };
    const response = await post('welcome-series', '{"userId": "u-1"}', headers);

    expect(response.status).toBe(200);
    expect(response.headers.get('x-correlation-id')).toBe('e2e-direct-1');
    const body = (await response.json()) as { executionId: string; jobId: string };
    expect(body).toEqual({ executionId: expect.any(String), jobId: `api:welcome-series:${key}` });
    const calls = await engineCalls(body.jobId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      path: 'webhook/welcome-email-series',
      body: { userId: 'u-1', _metadata: { correlationId: 'e2e-direct-1', source: 'api' } },
    });

    // The caller's retry with the same key gets the same answer, and the engine no second call.
    const again = await post('welcome-series', '{"userId": "u-1"}', headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(body);
    expect(await engineCalls(body.jobId)).toHaveLength(1);
  });

  it('repeats the first answer for the same key and the same body with its keys in another order', async () => {
    const key = `e2e-order-${randomUUID()}`;
    const headers = { authorization: `Bearer ${apiKey}`, 'idempotency-key': key };
    const first = await post(
      'welcome-series',
      '{"userId":"u-2","plan":{"tier":"pro","seats":3}}',
      headers,
    );
    expect(first.status).toBe(200);
    const answer = (await first.json()) as { executionId: string; jobId: string };

    const reordered = await post(
      'welcome-series',
      '{ "plan" : { "seats" : 3, "tier" : "pro" },\n  "userId" : "u-2" }',
      headers,
    );

    expect(reordered.status).toBe(200);
    expect(await reordered.json()).toEqual(answer);
    expect(await engineCalls(answer.jobId)).toHaveLength(1);
  });

  it('tells two numbers beyond 2^53 apart under one key: the second is another input (422)', async () => {
    const key = `e2e-big-${randomUUID()}`;
    const headers = { authorization: `Bearer ${apiKey}`, 'idempotency-key': key };
    const first = await post('welcome-series', '{"orderId":9007199254740993}', headers);
    expect(first.status).toBe(200);

    // As doubles both are 9007199254740992: compared by their text they differ.
    const other = await post('welcome-series', '{"orderId":9007199254740992}', headers);

    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({
      type: expect.stringContaining('idempotency-key-reused'),
    });
    const same = await post('welcome-series', '{"orderId":9007199254740993}', headers);
    expect(same.status).toBe(200);
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { 'x-api-key': 'not-the-key' }],
  ])('answers 401 problem+json with %s', async (_, headers: Record<string, string>) => {
    const response = await post('welcome-series', '{}', headers);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 404 for an unknown workflow and 400 for input that is not a JSON object', async () => {
    const unknown = await post('no-such-workflow', '{}', { 'x-api-key': apiKey });
    expect(unknown.status).toBe(404);
    const invalid = await post('welcome-series', '[1, 2]', { 'x-api-key': apiKey });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { status: number }).status).toBe(400);
  });
});
