import { verdictFor } from '../../../../functions/email-batcher/delivery/error-codes';
import { retryAfterSeconds, sendBatch, splitIntoCalls } from '../../../../shared/email/postmark';

const message = { From: 'a@example.test', To: 'b@example.test', Subject: 's', TextBody: 't' };

function answering(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: RequestInit[] = [];
  const fetchStub = (async (_url: unknown, init?: RequestInit) => {
    calls.push(init ?? {});
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
      status,
      headers,
    });
  }) as typeof fetch;
  return { fetch: fetchStub, calls };
}

const options = (fetchStub: typeof fetch) => ({
  baseUrl: 'http://provider.test',
  timeoutMs: 50,
  fetch: fetchStub,
  now: () => Date.parse('2026-01-01T00:00:00Z'),
});

describe('Postmark batch client', () => {
  it('sends the token in its header and reads one result per message', async () => {
    const stub = answering(200, [{ ErrorCode: 0, MessageID: 'm-1' }]);
    const outcome = await sendBatch(options(stub.fetch), 'tok', [message]);
    expect(outcome).toEqual({ kind: 'results', results: [{ ErrorCode: 0, MessageID: 'm-1' }] });
    const headers = (stub.calls[0]?.headers ?? {}) as Record<string, string>;
    expect(headers['X-Postmark-Server-Token']).toBe('tok');
  });

  it('treats 401, 403 and 404 as our configuration, not the messages', async () => {
    for (const status of [401, 403, 404]) {
      const outcome = await sendBatch(options(answering(status, {}).fetch), 't', [message]);
      expect(outcome).toEqual({ kind: 'unauthorized', status });
    }
  });

  it('classifies a whole-call 422 by its ErrorCode', async () => {
    const stub = answering(422, { ErrorCode: 300, Message: 'Invalid email request' });
    expect(await sendBatch(options(stub.fetch), 't', [message])).toEqual({
      kind: 'rejected',
      errorCode: 300,
      message: 'Invalid email request',
    });
  });

  it('retries 429 and 5xx, honouring Retry-After, as not delivered', async () => {
    const limited = answering(429, {}, { 'Retry-After': '7' });
    expect(await sendBatch(options(limited.fetch), 't', [message])).toEqual({
      kind: 'retry',
      detail: 'answer 429',
      retryAfterSeconds: 7,
      maybeDelivered: false,
    });
    const failing = answering(503, 'oops');
    expect(await sendBatch(options(failing.fetch), 't', [message])).toMatchObject({
      kind: 'retry',
      maybeDelivered: false,
    });
  });

  it('counts a timeout as maybe delivered and a refused connection as not', async () => {
    const hanging = ((_url: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as typeof fetch;
    expect(await sendBatch(options(hanging), 't', [message])).toMatchObject({
      kind: 'retry',
      maybeDelivered: true,
    });
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    }) as typeof fetch;
    expect(await sendBatch(options(refused), 't', [message])).toMatchObject({
      kind: 'retry',
      maybeDelivered: false,
    });
  });

  it('counts a 200 without one result per message as maybe delivered', async () => {
    const stub = answering(200, []);
    expect(await sendBatch(options(stub.fetch), 't', [message])).toMatchObject({
      kind: 'retry',
      maybeDelivered: true,
    });
  });

  it('splits calls at 500 messages and at 50 MB', () => {
    const items = Array.from({ length: 1001 }, (_, index) => index);
    expect(splitIntoCalls(items, 500, () => 1000).map((call) => call.length)).toEqual([
      500, 500, 1,
    ]);
    expect(splitIntoCalls([1, 2, 3], 500, () => 20 * 1024 * 1024).map((c) => c.length)).toEqual([
      2, 1,
    ]);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterSeconds('3', now)).toBe(3);
    expect(retryAfterSeconds('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10);
    expect(retryAfterSeconds('soon', now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
  });
});

describe('Postmark error codes', () => {
  it('sends 0, dead-letters message errors, pauses on account errors and retries the rest', () => {
    expect(verdictFor(0)).toBe('sent');
    for (const code of [300, 406, 411]) expect(verdictFor(code)).toBe('dead');
    for (const code of [10, 400, 401, 405, 412, 413]) expect(verdictFor(code)).toBe('pause');
    for (const code of [100, 429, 999]) expect(verdictFor(code)).toBe('retry');
  });
});
