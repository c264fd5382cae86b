import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  callEngine,
  type EngineCall,
  type EngineOutcome,
} from '../../../../shared/workflow/engine';

/** 2023-11-14T22:13:20.000Z */
const NOW_MS = 1_700_000_000_000;
const TOKEN = 'engine-token-never-logged';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the loopback engine answers next, and what it received. */
let respond: (response: ServerResponse) => void = (response) => response.end();
const received: Received[] = [];

const engine: Server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    received.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    respond(response);
  });
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
});

afterAll(async () => {
  engine.closeAllConnections();
  await new Promise((resolve) => engine.close(resolve));
});

beforeEach(() => {
  received.length = 0;
});

const reply =
  (status: number, body?: string, headers: Record<string, string> = {}) =>
  (response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  };

function call(overrides: Partial<EngineCall> = {}): EngineCall {
  return {
    baseUrl: `${baseUrl}/`,
    path: 'webhook/campaign-send-v2',
    token: TOKEN,
    idempotencyKey: 'job-1',
    correlationId: 'corr-1',
    body: { campaignId: 'c-1', _metadata: { jobId: 'job-1' } },
    timeoutMs: 2000,
    ...overrides,
  };
}

async function outcomeFor(
  status: number,
  body?: string,
  headers?: Record<string, string>,
): Promise<EngineOutcome> {
  respond = reply(status, body, headers);
  return callEngine(call(), fetch, () => NOW_MS);
}

describe('callEngine', () => {
  it('posts the body to the workflow path with the bearer token, Idempotency-Key and correlation id', async () => {
    await outcomeFor(200, '{"executionId":"exec-1"}');

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: 'POST',
      url: '/webhook/campaign-send-v2',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'idempotency-key': 'job-1',
        'x-correlation-id': 'corr-1',
        'content-type': 'application/json',
      },
    });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      campaignId: 'c-1',
      _metadata: { jobId: 'job-1' },
    });
  });

  it('records a 2xx as triggered with the engine executionId', async () => {
    expect(await outcomeFor(200, '{"executionId":"exec-42"}')).toMatchObject({
      kind: 'triggered',
      status: 200,
      executionId: 'exec-42',
    });
  });

  it('takes a numeric id as the execution id', async () => {
    expect(await outcomeFor(201, '{"id":1234}')).toMatchObject({
      kind: 'triggered',
      executionId: '1234',
    });
  });

  it('records a 2xx without an execution id (empty or non-JSON body) as triggered all the same', async () => {
    const empty = await outcomeFor(204);
    const text = await outcomeFor(202, 'Workflow was started', { 'content-type': 'text/plain' });

    expect(empty).toMatchObject({ kind: 'triggered', status: 204 });
    expect(empty).not.toHaveProperty('executionId', expect.anything());
    expect(text).toMatchObject({ kind: 'triggered', status: 202, executionId: undefined });
  });

  it.each([408, 425, 429, 500, 502, 503, 504])(
    'retries a %i, not ambiguous: the engine answered',
    async (status) => {
      expect(await outcomeFor(status, '{}')).toMatchObject({
        kind: 'retry',
        status,
        ambiguous: false,
        retryAfterSeconds: undefined,
        error: `engine answered ${status}`,
      });
    },
  );

  it('honours Retry-After given in seconds', async () => {
    expect(await outcomeFor(429, '{}', { 'retry-after': '17' })).toMatchObject({
      kind: 'retry',
      retryAfterSeconds: 17,
    });
  });

  it('honours Retry-After given as an HTTP date, measured from the injected clock', async () => {
    const at = new Date(NOW_MS + 120_000).toUTCString();

    expect(await outcomeFor(503, '{}', { 'retry-after': at })).toMatchObject({
      kind: 'retry',
      retryAfterSeconds: 120,
    });
  });

  it('ignores an unreadable Retry-After and clamps a date in the past to 0', async () => {
    const past = new Date(NOW_MS - 60_000).toUTCString();

    expect(await outcomeFor(503, '{}', { 'retry-after': 'soon' })).toMatchObject({
      retryAfterSeconds: undefined,
    });
    expect(await outcomeFor(503, '{}', { 'retry-after': past })).toMatchObject({
      retryAfterSeconds: 0,
    });
  });

  it.each([401, 403, 404, 422])(
    'calls a %i refused: our configuration is wrong, not the job',
    async (status) => {
      expect(await outcomeFor(status, '{"message":"nope"}')).toMatchObject({
        kind: 'refused',
        status,
      });
    },
  );

  it.each([400, 405, 409, 410, 413, 415])('calls any other 4xx (%i) permanent', async (status) => {
    expect(await outcomeFor(status, '{}')).toMatchObject({ kind: 'permanent', status });
  });

  it('cuts a call the engine never answers at its timeout and counts it ambiguous', async () => {
    respond = () => {
      // Never answers: the request was sent, the engine may be running the workflow.
    };

    const outcome = await callEngine(call({ timeoutMs: 150 }), fetch, () => NOW_MS);

    expect(outcome).toMatchObject({
      kind: 'retry',
      ambiguous: true,
      error: 'timeout after 150 ms',
    });
    expect(received).toHaveLength(1);
  });

  it('retries a refused connection as not ambiguous: nothing reached the engine', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));

    const outcome = await callEngine(call({ baseUrl: `http://127.0.0.1:${port}` }));

    expect(outcome).toMatchObject({
      kind: 'retry',
      ambiguous: false,
      error: 'network error ECONNREFUSED',
    });
  });

  it('counts a connection reset after sending as ambiguous', async () => {
    respond = (response) => response.socket?.destroy();

    expect(await callEngine(call())).toMatchObject({ kind: 'retry', ambiguous: true });
  });

  it('never throws: an injected fetch that fails oddly becomes a retry', async () => {
    const failing = (async () => {
      throw new Error('boom');
    }) as unknown as typeof fetch;

    expect(await callEngine(call(), failing)).toMatchObject({
      kind: 'retry',
      ambiguous: true,
      error: 'network error unknown',
    });
  });

  it('never puts the token in any outcome', async () => {
    const outcomes = [
      await outcomeFor(200, `{"executionId":"e","echo":"${TOKEN}"}`),
      await outcomeFor(500, TOKEN),
      await outcomeFor(401, JSON.stringify({ token: TOKEN })),
      await outcomeFor(400, TOKEN),
      await callEngine(call({ timeoutMs: 100, baseUrl: 'http://127.0.0.1:9/' })),
    ];
    respond = () => {};
    outcomes.push(await callEngine(call({ timeoutMs: 100 })));

    for (const outcome of outcomes) expect(JSON.stringify(outcome)).not.toContain(TOKEN);
  });
});
