// The rate limiter at N concurrent batchers, built in this process on the local stack's state table
// and sandbox: each batcher is fed backlog batches of 500 fresh jobs for a fixed time, as Lambda would
// feed it from a deep queue. Deferrals go to a bench queue of their own (counted, not consumed).

const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { CreateQueueCommand, DeleteQueueCommand } = require('@aws-sdk/client-sqs');
const { silentMetrics } = require('../lib/silent-metrics');
const {
  countingClients,
  dynamoDbBreakdown,
  dynamoDbRequestsOf,
  dynamoDbWritesAndReads,
} = require('../lib/aws-clients');
const { benchBatcherEnv, emailJob, excessOverRate, sandbox } = require('./email-harness');

const root = path.resolve(__dirname, '..', '..');

/**
 * Bundles the batcher's config and wiring (TypeScript) to CommonJS, packages left to node_modules.
 * @param {string} outDir
 */
async function buildBatcherModule(outDir) {
  const esbuild = require('esbuild');
  const outfile = path.join(outDir, 'email-batcher-in-process.js');
  await esbuild.build({
    stdin: {
      contents: [
        "export { loadEmailBatcherConfig } from './functions/email-batcher/config';",
        "export { buildEmailBatcher } from './functions/email-batcher/wiring';",
        "export { makeTelemetry } from './functions/email-batcher/telemetry';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'bench-email-entry.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * An SQS event of `size` fresh jobs.
 * @param {string} prefix
 * @param {number} size
 */
function backlogEvent(prefix, size) {
  return {
    Records: Array.from({ length: size }, () => {
      const id = `${prefix}-${randomUUID()}`;
      return {
        messageId: randomUUID(),
        receiptHandle: 'bench',
        body: JSON.stringify(emailJob(id)),
        attributes: {},
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
        awsRegion: 'us-east-1',
      };
    }),
  };
}

/**
 * @param {{ state: any, workDir: string, batchers: number, seconds: number, rate?: number,
 *   burst?: number, log: (m: string) => void }} options
 */
async function runRateLimiter({ state, workDir, batchers, seconds, rate = 500, burst = 500, log }) {
  const { loadEmailBatcherConfig, buildEmailBatcher, makeTelemetry } = require(
    await buildBatcherModule(workDir),
  );
  const { Logger } = require('@aws-lambda-powertools/logger');

  const clients = countingClients(state);
  const id = randomUUID().slice(0, 8);
  const { QueueUrl: queueUrl } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `bench-email-${id}` }),
  );
  const { QueueUrl: dlqUrl } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `bench-email-${id}-dlq` }),
  );
  try {
    await sandbox(state.emailSandbox, '/sandbox/reset', {});
    const config = loadEmailBatcherConfig(
      benchBatcherEnv(state, {
        queueUrl: /** @type {string} */ (queueUrl),
        dlqUrl: /** @type {string} */ (dlqUrl),
        account: `bench-${id}`,
        rate,
        burst,
      }),
    );
    const logger = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });
    // The batcher's own telemetry (its counters; the logger is silent, the metrics never flushed).
    const telemetry = makeTelemetry(logger, silentMetrics());
    const built = Array.from({ length: batchers }, () =>
      buildEmailBatcher(config, clients, logger, silentMetrics(), {
        telemetry,
      }),
    );
    clients.takeCounts();
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(
      built.map(async ({ handle }) => {
        while (Date.now() < deadline) await handle(backlogEvent(`rate-${id}`, 500));
      }),
    );
    const counts = clients.takeCounts();
    const { messages } = await sandbox(state.emailSandbox, '/sandbox/messages');
    const times = messages.map((/** @type {any} */ m) => m.at);
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    const worstExcess = excessOverRate(times, rate);
    // Every DynamoDB request, a transaction of many jobs' claims or marks counted once (a round trip).
    const writes = dynamoDbWritesAndReads(counts.byOperation).writes;
    const requests = dynamoDbRequestsOf(counts.byOperation);
    const bucketWrites = built.reduce((sum, b) => sum + b.bucket.writes, 0);
    log(
      `  ${telemetry.counts.sent} sent, ${telemetry.counts.deferred} deferred, ${telemetry.counts.calls} calls`,
    );
    return {
      batchers,
      rate,
      burst,
      seconds: span,
      sent: messages.length,
      deferred: telemetry.counts.deferred,
      worstExcess,
      overshoot: worstExcess - burst,
      utilisation: messages.length / (burst + rate * span),
      writesPerMessage: writes / messages.length,
      requestsPerMessage: requests / messages.length,
      dynamoDbBreakdown: dynamoDbBreakdown(counts.byOperation),
      bucketWritesPerMessage: bucketWrites / messages.length,
      ledgerWritesPerMessage: (writes - bucketWrites) / messages.length,
      operations: counts.byOperation,
    };
  } finally {
    for (const url of [queueUrl, dlqUrl])
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    clients.destroy();
  }
}

/**
 * The rate limiter `runs` times at each number of concurrent batchers (`BENCH_ONLY=email-rate`):
 * every run printed, since one lucky run proves little on a loaded machine.
 * @param {{ state: any, workDir: string, batchers: number[], runs: number, seconds: number,
 *   rate?: number, burst?: number, log?: (m: string) => void }} options
 */
async function runRateLimiterRuns({ batchers, runs, log = () => {}, ...options }) {
  const results = [];
  for (const count of batchers) {
    for (let run = 1; run <= runs; run += 1) {
      log(`bench email-rate: ${count} batchers, run ${run} of ${runs}`);
      results.push({ run, ...(await runRateLimiter({ ...options, batchers: count, log })) });
    }
  }
  return results;
}

/** @param {Awaited<ReturnType<typeof runRateLimiterRuns>>} results */
function printRateLimiterRuns(results) {
  const f = (/** @type {number} */ n, digits = 1) =>
    Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
  console.log('\nRate limiter runs (target: overshoot <= 0, utilisation >= 95 %)');
  for (const r of results) {
    console.log(
      `  ${r.batchers} batchers, run ${r.run}: ${r.rate}/s burst ${r.burst} over ${f(r.seconds)} s: sent ${r.sent}, overshoot beyond the burst ${f(r.overshoot)} messages, utilisation ${f(r.utilisation * 100)} %, deferred ${r.deferred}, bucket writes per message ${f(r.bucketWritesPerMessage, 3)}`,
    );
  }
}

module.exports = { buildBatcherModule, printRateLimiterRuns, runRateLimiter, runRateLimiterRuns };
