import { RATE_LUMP_SECONDS } from '../../functions/email-batcher/wiring';
import { EmailHarness } from '../helpers/email/email-harness';
import { startSandboxWorker } from '../helpers/email/sandbox-worker';
import { waitFor } from '../helpers/wait';

/**
 * The most messages that reached the sandbox above the configured rate in any time window: for
 * arrival times t_i <= t_j, (messages between them) - rate x (t_j - t_i). A token bucket allows at
 * most its burst.
 */
function worstExcess(times: number[], ratePerSecond: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let j = 0; j < sorted.length; j += 1) {
    for (let i = 0; i <= j; i += 1) {
      const excess =
        j - i + 1 - (ratePerSecond * ((sorted[j] as number) - (sorted[i] as number))) / 1000;
      if (excess > worst) worst = excess;
    }
  }
  return worst;
}

describe('email batcher: shared rate limit', () => {
  let harness: EmailHarness;

  beforeEach(async () => {
    harness = await new EmailHarness().open();
  });

  afterEach(async () => {
    await harness.close();
  });

  it('keeps four concurrent batchers within the configured rate plus the burst, judged by the sandbox', async () => {
    const rate = 200;
    const burst = 200;
    const jobs = Array.from({ length: 800 }, (_, index) => harness.job(`rate-${index}`, {}, 300));
    await harness.enqueue(jobs);
    // The provider in a thread of its own, so the batchers' work does not delay its clock.
    const sandbox = await startSandboxWorker({ token: harness.sandboxToken });
    const received = async () => {
      const response = await fetch(`${sandbox.url}/sandbox/messages`);
      return ((await response.json()) as { messages: { at: number; subject: string }[] }).messages;
    };
    let messages: { at: number; subject: string }[] = [];
    try {
      await harness.start({
        count: 4,
        batchSize: 200,
        windowSeconds: 1,
        env: {
          EMAIL_RATE_PER_SECOND: String(rate),
          EMAIL_RATE_BURST: String(burst),
          EMAIL_MESSAGES_PER_CALL: '200',
          EMAIL_RATE_MAX_WAIT_MS: '1500',
          EMAIL_API_URL: sandbox.url,
        },
      });
      await waitFor(
        'every job at the sandbox',
        async () => {
          messages = await received();
          return messages.length >= jobs.length;
        },
        90_000,
        500,
      );
    } finally {
      await harness.stopBatchers();
      await sandbox.close();
    }

    const times = messages.map((message) => message.at);
    expect(new Set(messages.map((m) => m.subject)).size).toBe(jobs.length);
    // Slack of half a second at the rate: the bucket stamps the grant, the sandbox stamps the
    // arrival, and between the two a call waits its turn on an event loop shared by four batchers on
    // a loaded 2-core machine (measured up to about 0.2 s alone, 0.38 s beside other test runs).
    // A limiter that ignored the rate would exceed it by hundreds. The benchmark prints the raw figure.
    expect(worstExcess(times, rate)).toBeLessThanOrEqual(burst + rate * 0.5);
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 120_000);

  it('sends a backlog larger than the rate allows without cycling it through the queue', async () => {
    // One batcher of 200 records at 10/s: after the burst, each batch needs 20 s of tokens, inside
    // the 30 s invocation's wait for them (30 s less the 4 s call and 3 s to settle it). A batcher
    // that stopped waiting after 10 s would defer half of every batch, received again later.
    const jobs = Array.from({ length: 400 }, (_, index) =>
      harness.job(`backlog-${index}`, {}, 300),
    );
    await harness.enqueue(jobs);
    try {
      await harness.start({
        count: 1,
        batchSize: 200,
        windowSeconds: 1,
        timeoutSeconds: 30,
        env: {
          EMAIL_RATE_PER_SECOND: '10',
          EMAIL_RATE_BURST: '200',
          EMAIL_MESSAGES_PER_CALL: '200',
          FUNCTION_TIMEOUT_SECONDS: '30',
          EMAIL_CLAIM_SECONDS: '60',
        },
      });
      await waitFor(
        'every job at the sandbox',
        () => harness.sandbox.state.messages.length >= jobs.length,
        90_000,
        500,
      );
    } finally {
      await harness.stopBatchers();
    }

    const subjects = harness.sandbox.state.messages.map((message) => message.subject);
    expect(subjects).toHaveLength(jobs.length);
    expect(new Set(subjects).size).toBe(jobs.length);
    const receives = [...harness.receives.values()].reduce((sum, n) => sum + n, 0);
    expect(harness.receives.size).toBe(jobs.length);
    // Issue 19's target: at most 0.2 re-sends (receives beyond a job's first) per message sent.
    expect(receives - jobs.length).toBeLessThanOrEqual(0.2 * jobs.length);
    expect(await harness.deadLetters()).toHaveLength(0);
    // Once the burst is spent, the batcher takes what the rate brings in RATE_LUMP_SECONDS (30
    // tokens at 10/s) instead of waiting for a whole batch's worth: many small calls, not one of up
    // to 200 messages after a 20 s wait (so concurrent batchers take turns; see the wiring). The take
    // grants what has come in by the time it runs: a wait that wakes late on a loaded machine adds
    // the rate's worth of its lateness (a fresh-clone run beside two other suites: 34, 0.4 s late),
    // so up to a second of it is allowed, far below the 200 a batcher without the lump takes.
    let sentBefore = 0;
    const afterBurst = harness.sandbox.state.calls
      .filter((call) => call.status === 200)
      .filter((call) => {
        const spent = sentBefore >= 200;
        sentBefore += call.messages;
        return spent;
      });
    expect(afterBurst.length).toBeGreaterThanOrEqual(4);
    for (const call of afterBurst) {
      expect(call.messages).toBeLessThanOrEqual(10 * (RATE_LUMP_SECONDS + 1));
    }
  }, 120_000);
});
