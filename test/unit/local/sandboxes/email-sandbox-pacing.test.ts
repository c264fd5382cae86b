import { startEmailSandbox } from '../../../../local/sandboxes/email-sandbox';
import {
  PACING_OFF,
  PROVIDER_LIKE,
  pacingFrom,
} from '../../../../local/sandboxes/email-sandbox-pacing';

type Sandbox = Awaited<ReturnType<typeof startEmailSandbox>>;

const message = (index: number) => ({
  From: 'a@example.test',
  To: `b${index}@example.test`,
  Subject: `s${index}`,
  TextBody: 'x',
});

async function call(sandbox: Sandbox, messages: number) {
  const response = await fetch(`${sandbox.url}/email/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Postmark-Server-Token': 'pacing-token' },
    body: JSON.stringify(Array.from({ length: messages }, (_, index) => message(index))),
  });
  expect(response.status).toBe(200);
  await response.json();
}

async function settings(sandbox: Sandbox, body: unknown) {
  const response = await fetch(`${sandbox.url}/sandbox/settings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

describe('sandbox provider pacing', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startEmailSandbox({ port: 0, token: 'pacing-token' });
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('reads settings on top of the current ones and ignores what is not a number', () => {
    expect(
      pacingFrom({ perCallMs: 50, maxConcurrentCalls: 2.7, perMessageMs: 'x' }, PACING_OFF),
    ).toEqual({
      perCallMs: 50,
      perMessageMs: 0,
      maxConcurrentCalls: 2,
    });
    expect(pacingFrom({ perCallMs: -5 }, PROVIDER_LIKE)).toEqual({
      ...PROVIDER_LIKE,
      perCallMs: 0,
    });
    expect(pacingFrom(null, PROVIDER_LIKE)).toEqual(PROVIDER_LIKE);
  });

  it('makes each call take its time, more for more messages', async () => {
    await settings(sandbox, { pacing: { perCallMs: 150, perMessageMs: 2 } });
    let started = Date.now();
    await call(sandbox, 1);
    const small = Date.now() - started;
    started = Date.now();
    await call(sandbox, 100);
    const large = Date.now() - started;

    expect(small).toBeGreaterThanOrEqual(150);
    expect(large).toBeGreaterThanOrEqual(350);
  });

  it('serves at most maxConcurrentCalls calls at once; the others wait for a slot', async () => {
    await settings(sandbox, { pacing: { perCallMs: 200, maxConcurrentCalls: 2 } });
    const started = Date.now();
    await Promise.all(Array.from({ length: 6 }, () => call(sandbox, 1)));
    const elapsed = Date.now() - started;

    // Six calls of 200 ms two at a time: three rounds.
    expect(elapsed).toBeGreaterThanOrEqual(600);
    const answers = sandbox.state.calls
      .map((c) => (c.answeredAt ?? 0) - started)
      .sort((a, b) => a - b);
    expect(answers).toHaveLength(6);
    // Answered two by two: the k-th answer no sooner than the end of its round (timers may fire a
    // millisecond early).
    answers.forEach((ms, k) => {
      expect(ms).toBeGreaterThanOrEqual(200 * (Math.floor(k / 2) + 1) - 5);
    });
    expect(sandbox.state.messages).toHaveLength(6);
  });

  it('is off after a reset', async () => {
    await settings(sandbox, { pacing: { perCallMs: 5000 } });
    await fetch(`${sandbox.url}/sandbox/reset`, { method: 'POST', body: '{}' });
    const started = Date.now();
    await call(sandbox, 1);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
