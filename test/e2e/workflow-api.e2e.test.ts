import { randomUUID } from 'node:crypto';
import secrets from '../fixtures/secrets.json';
import { localStack } from '../helpers/local-stack';

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
