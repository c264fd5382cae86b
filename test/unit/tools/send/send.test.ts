import { runSend } from '../../../../tools/send/send';

/** Runs `npm run send` with a stand-in fetch, capturing what it prints. */
async function send(argv: string[], answer: () => Promise<Response>) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: { url: string; init: RequestInit | undefined }[] = [];
  const fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), init });
    return answer();
  }) as typeof globalThis.fetch;
  const code = await runSend(argv, {
    fetch,
    env: { HTTP_PORT: '4100' },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  return { code, out: out.join('\n'), err: err.join('\n'), requests };
}

const json = (status: number, body: unknown) => async () =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });

describe('npm run send', () => {
  const sample = ['stripe', 'events/webhooks/stripe.json'];

  it('exits 0 on a 2xx and prints the URL it posted the signed event to', async () => {
    const result = await send(sample, json(202, { status: 'accepted' }));

    expect(result.code).toBe(0);
    expect(result.out).toContain('POST http://127.0.0.1:4100/webhooks/stripe');
    expect(result.out).toContain('202');
    expect(result.requests).toHaveLength(1);
    expect(result.requests[0]?.url).toBe('http://127.0.0.1:4100/webhooks/stripe');
    expect(new Headers(result.requests[0]?.init?.headers).get('stripe-signature')).toMatch(/^t=/);
  });

  it.each([
    [500, 'Internal Server Error'],
    [503, 'Service Unavailable'],
    [401, 'Invalid signature'],
  ])('exits 1 on a %d answer and says which URL did not accept it', async (status, title) => {
    const result = await send(sample, json(status, { title }));

    expect(result.code).toBe(1);
    expect(result.out).toContain(title);
    expect(result.err).toContain(`POST http://127.0.0.1:4100/webhooks/stripe was not accepted`);
  });

  it('exits 1 with the URL when nothing answers', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: { code: 'ECONNREFUSED' },
    });

    const result = await send([...sample, '--url', 'http://127.0.0.1:4999'], () =>
      Promise.reject(refused),
    );

    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /POST http:\/\/127\.0\.0\.1:4999\/webhooks\/stripe failed: connection refused/,
    );
  });

  it('exits 1 when the answer does not come in time', async () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');

    const result = await send(sample, () => Promise.reject(timeout));

    expect(result.code).toBe(1);
    expect(result.err).toMatch(/failed: no answer in 10000 ms/);
  });

  it('exits 2 with the usage on an unknown option, sending nothing', async () => {
    const result = await send([...sample, '--ur', 'http://127.0.0.1:4999'], json(202, {}));

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown option --ur\nusage: npm run send/);
    expect(result.requests).toHaveLength(0);
  });

  it('exits 2 on a source the local profile does not have, sending nothing', async () => {
    const result = await send(['nosuch', 'events/webhooks/stripe.json'], json(202, {}));

    expect(result.code).toBe(2);
    expect(result.err).toMatch(/No source "nosuch"/);
    expect(result.requests).toHaveLength(0);
  });

  it('prints the answer with control, bidirectional and zero-width characters made visible', async () => {
    // Whatever listens on the URL writes the answer: a status text, headers and a body of its own.
    const body = '{"detail":"evil\u001b[2J\u001b]0;title\u0007 \r \u009b1m \u202egnp.exe"}\nline 2';
    const answer = async () =>
      new Response(body, {
        status: 400,
        statusText: 'Bad \u009b1m',
        headers: { 'x-correlation-id': 'c\u001b[2J\u0007\u009b' },
      });

    const result = await send(sample, answer);

    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
    const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069]/u;
    expect(result.out).not.toMatch(RAW);
    expect(result.out).toContain('400 Bad \\x9b1m');
    expect(result.out).toContain('x-correlation-id: c\\x1b[2J\\x07\\x9b');
    expect(result.out).toContain(
      '{"detail":"evil\\x1b[2J\\x1b]0;title\\x07 \\x0d \\x9b1m \\u202egnp.exe"}\nline 2',
    );
  });
});
