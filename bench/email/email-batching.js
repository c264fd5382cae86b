// The email figures (part of `npm run bench`; alone: `BENCH_ONLY=email npm run bench`).
// 1. End to end through the local stack: 10,000 queued ~1 KB jobs through the email-batcher in
//    serverless offline to the sandbox provider paced like a real provider (a latency per call and a
//    limit on concurrent calls: local/sandboxes/email-sandbox-pacing.js, PROVIDER_LIKE; BENCH_EMAIL_PACING
//    holds other figures as JSON, or "off"): provider calls and jobs/s, against a naive sender (one
//    call per job, as many at once as the batcher's maximum concurrency) to the same sandbox.
// 2. The rate limiter at 4 concurrent batchers built in this process, fed backlog batches of 500
//    (no queue in the way): overshoot above rate + burst, utilisation, DynamoDB writes per message.

const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { PACING_OFF, PROVIDER_LIKE } = require('../../local/sandboxes/email-sandbox-pacing');
const { readSecretSeed, secretSeedFile } = require('../../local/secrets/secret-store');
const { countingClients } = require('../lib/aws-clients');
const { emailJob, sandbox } = require('./email-harness');
const { enqueueJobs } = require('../lib/queue-jobs');
const { runRateLimiter } = require('./email-rate-limiter');

const root = path.resolve(__dirname, '..', '..');

/** The local stage's emailMaxConcurrency (serverless.yml): the naive sender gets as many at once. */
const BATCHER_CONCURRENCY = 5;

/** Issue 19: the batcher at least this many times the naive sender's jobs/s against the paced sandbox. */
const TARGET_RATIO = 5;

/** The sandbox's pacing for this run: BENCH_EMAIL_PACING (JSON, or "off"), else PROVIDER_LIKE. */
function benchPacing() {
  const raw = process.env.BENCH_EMAIL_PACING;
  if (raw === 'off') return PACING_OFF;
  return raw ? { ...PACING_OFF, ...JSON.parse(raw) } : PROVIDER_LIKE;
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Queues `jobs` jobs on the stack's email-jobs queue and waits until the sandbox holds them all.
 * @param {{ state: any, jobs: number, pacing: object, log: (m: string) => void }} options
 */
async function runThroughStack({ state, jobs, pacing, log }) {
  const clients = countingClients(state);
  const base = state.emailSandbox;
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  try {
    await sandbox(base, '/sandbox/reset', {});
    await sandbox(base, '/sandbox/settings', { pacing });
    const started = Date.now();
    await enqueueJobs(
      clients.sqs,
      state.queues.EmailJobsQueue.url,
      Array.from({ length: jobs }, (_, index) => emailJob(`${prefix}-${index}`)),
    );
    const queuedMs = Date.now() - started;
    log(`  queued ${jobs} jobs in ${(queuedMs / 1000).toFixed(1)} s; waiting for the sandbox`);
    const deadline = Date.now() + 300_000;
    /** @type {any[]} */
    let messages = [];
    let unique = 0;
    while (Date.now() < deadline) {
      if ((await sandbox(base, '/sandbox')).messages >= jobs) {
        ({ messages } = await sandbox(base, '/sandbox/messages'));
        unique = new Set(messages.map((/** @type {any} */ m) => m.subject)).size;
        if (unique >= jobs) break;
      }
      await sleep(1000);
    }
    if (unique < jobs) {
      ({ messages } = await sandbox(base, '/sandbox/messages'));
      unique = new Set(messages.map((/** @type {any} */ m) => m.subject)).size;
      log(`  gave up waiting: ${unique} of ${jobs} delivered`);
    }
    const { calls } = await sandbox(base, '/sandbox/calls');
    const last =
      messages.length > 0 ? Math.max(...messages.map((/** @type {any} */ m) => m.at)) : Date.now();
    return {
      jobs,
      received: messages.length,
      unique,
      providerCalls: calls.length,
      seconds: (last - started) / 1000,
      jobsPerSecond: unique / ((last - started) / 1000),
      callSizes: calls.map((/** @type {any} */ call) => call.messages),
    };
  } finally {
    clients.destroy();
  }
}

/**
 * The naive sender: one provider call per job, `concurrency` at a time, no ledger, no rate limit.
 * @param {{ state: any, jobs: number, concurrency: number, pacing: object }} options
 */
async function runNaive({ state, jobs, concurrency, pacing }) {
  const base = state.emailSandbox;
  const seed = readSecretSeed(secretSeedFile(root));
  const token = JSON.parse(seed['connector-suite/local/providers/email'] ?? '{}').token;
  await sandbox(base, '/sandbox/reset', {});
  await sandbox(base, '/sandbox/settings', { pacing });
  const prefix = `naive-${randomUUID().slice(0, 8)}`;
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < jobs) {
      const job = emailJob(`${prefix}-${next}`);
      next += 1;
      const response = await fetch(`${base}/email/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'X-Postmark-Server-Token': token },
        body: JSON.stringify([
          {
            From: job.from,
            To: job.to,
            Subject: job.subject,
            TextBody: job.textBody,
            Tag: job.tag,
          },
        ]),
        signal: AbortSignal.timeout(10_000),
      });
      await response.text();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (Date.now() - started) / 1000;
  const { calls } = await sandbox(base, '/sandbox/calls');
  return { jobs, providerCalls: calls.length, seconds, jobsPerSecond: jobs / seconds };
}

/**
 * All email figures on a running local stack.
 * @param {{ state: any, workDir: string, jobs?: number, naiveJobs?: number, limiterSeconds?: number,
 *   log?: (m: string) => void }} options
 */
async function runEmailBatching({
  state,
  workDir,
  jobs = 10_000,
  naiveJobs = 1000,
  limiterSeconds = 15,
  log = () => {},
}) {
  const pacing = benchPacing();
  log(
    `bench email: ${jobs} jobs through the local stack, sandbox pacing ${JSON.stringify(pacing)}`,
  );
  const stack = await runThroughStack({ state, jobs, pacing, log });
  log(`bench email: naive sender, one call per job, ${naiveJobs} jobs`);
  const naive = await runNaive({
    state,
    jobs: naiveJobs,
    concurrency: BATCHER_CONCURRENCY,
    pacing,
  });
  await sandbox(state.emailSandbox, '/sandbox/reset', {});
  log('bench email: rate limiter, 4 concurrent batchers');
  // A rate the batchers can outrun even on a loaded machine, so the limiter is what holds them back.
  const limiter = await runRateLimiter({
    state,
    workDir,
    batchers: 4,
    seconds: limiterSeconds,
    rate: 200,
    log,
  });
  return { pacing, stack, naive, limiter };
}

/** @param {Awaited<ReturnType<typeof runEmailBatching>>} result */
function printEmailBatching({ pacing, stack, naive, limiter }) {
  const f = (/** @type {number} */ n, digits = 1) =>
    Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
  const p = /** @type {import('../../local/sandboxes/email-sandbox-pacing').Pacing} */ (pacing);
  console.log(`\nEmail batching: ${stack.jobs} queued ~1 KB jobs to the sandbox provider`);
  console.log(
    `  sandbox pacing: ${p.perCallMs} ms per call + ${p.perMessageMs} ms per message, ${p.maxConcurrentCalls || 'unlimited'} calls at once`,
  );
  console.log(
    `  batcher through the local stack: ${stack.providerCalls} provider calls (minimum ${Math.ceil(stack.jobs / 500)}), ${stack.received} received, ${stack.unique} distinct, ${f(stack.jobsPerSecond)} jobs/s (${f(stack.seconds)} s)`,
  );
  console.log(
    `  naive sender (one call per job, ${BATCHER_CONCURRENCY} at a time, ${naive.jobs} jobs): ${naive.providerCalls} provider calls, ${f(naive.jobsPerSecond)} jobs/s (${f(naive.seconds)} s)`,
  );
  console.log(
    `  jobs/s batcher / naive: ${f(stack.jobsPerSecond / naive.jobsPerSecond, 2)}x (target at least ${TARGET_RATIO}x; the batcher is capped at the local rate of 500/s); calls per job: ${f(stack.providerCalls / stack.jobs, 4)} vs 1`,
  );
  console.log(
    `Rate limiter, ${limiter.batchers} concurrent batchers, ${limiter.rate}/s, burst ${limiter.burst}, ${f(limiter.seconds)} s`,
  );
  console.log(
    `  sent ${limiter.sent}; worst excess above the rate ${f(limiter.worstExcess)} messages (overshoot beyond the burst: ${f(limiter.overshoot)})`,
  );
  console.log(
    `  utilisation of the allowed rate: ${f(limiter.utilisation * 100)} % (sent / (burst + rate x span))`,
  );
  console.log(
    `  DynamoDB round trips per sent message: ${f(limiter.requestsPerMessage, 3)} (target at most 0.2; ${limiter.dynamoDbBreakdown}); writes ${f(limiter.writesPerMessage, 3)} (ledger ${f(limiter.ledgerWritesPerMessage, 3)}, token bucket ${f(limiter.bucketWritesPerMessage, 3)})`,
  );
}

module.exports = { runEmailBatching, printEmailBatching };
