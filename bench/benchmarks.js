// Every benchmark `npm run bench` runs, with its two sizes: `full` (the figures docs/ quotes) and
// `small` (seconds each, run by `.ci/run` after `npm test` so that a benchmark that can no longer run
// fails CI instead of rotting unseen). `BENCH_SIZE=small` picks the small size; a benchmark without
// one is refused before anything starts (see checkBenchmarks).

const { printCeilingCapacity, runCeilingCapacity } = require('./ingest/ceiling-capacity');
const { runColdStart } = require('./cold-start/cold-start');
const { printDlqReplay, runDlqReplay } = require('./dlq/dlq-replay');
const { printEmailBacklog, runEmailBacklog } = require('./email/email-backlog');
const { printEmailBatching, runEmailBatching } = require('./email/email-batching');
const { printRateLimiterRuns, runRateLimiterRuns } = require('./email/email-rate-limiter');
const { printHealth, runHealth } = require('./health/health');
const { runHttpThroughput } = require('./ingest/http-throughput');
const { printIngestCapacity, runIngestCapacity } = require('./ingest/ingest-capacity');
const { runIngestVsFloor } = require('./ingest/ingest-vs-floor');
const { printWorkflow } = require('./workflow/workflow-report');
const { printColdStart, printDevReady, printHttp, printIngest } = require('./lib/report');
const { runDevReady } = require('./dev-startup/dev-startup');
const { runWorkflow } = require('./workflow/workflow');

/**
 * @typedef {'small' | 'full'} BenchSize
 * @typedef {{ state: any, serviceDir: string, workDir: string, log: (message: string) => void }}
 *   StackContext what a benchmark on the bench's local stack gets
 * @typedef {object} Benchmark
 * @property {string} name what BENCH_ONLY selects it by
 * @property {string} key where its figures go in bench/results/latest.json
 * @property {string} title its log line
 * @property {boolean} onStack runs on the bench's local stack (else after it stopped)
 * @property {Record<BenchSize, Record<string, unknown>>} sizes its parameters at each size
 * @property {(context: StackContext, size: Record<string, unknown>) => Promise<any>} run
 * @property {(result: any) => void} print
 */

/** Parameters of the email backlog benchmark set in BENCH_EMAIL_BACKLOG (JSON), if any. */
function backlogOverrides() {
  return JSON.parse(process.env.BENCH_EMAIL_BACKLOG ?? '{}');
}

/** @type {Benchmark[]} */
const BENCHMARKS = [
  {
    name: 'ingest',
    key: 'ingestInProcess',
    title: 'bench 1: ingest in process vs floors',
    onStack: true,
    sizes: { full: { requests: 500, warmup: 50 }, small: { requests: 40, warmup: 10 } },
    run: (context, size) => runIngestVsFloor({ ...context, ...size }),
    print: printIngest,
  },
  {
    name: 'http',
    key: 'httpThroughServerlessOffline',
    title: 'bench 2: through serverless offline',
    onStack: true,
    sizes: {
      full: { requests: 2000, concurrency: 16, warmup: 64 },
      small: { requests: 160, concurrency: 8, warmup: 16 },
    },
    run: (context, size) => runHttpThroughput({ ...context, ...size }),
    print: printHttp,
  },
  {
    name: 'cold',
    key: 'coldStart',
    title: 'bench 3: cold start per function',
    onStack: true,
    sizes: { full: { runs: 15 }, small: { runs: 2 } },
    run: (context, size) => runColdStart({ ...context, ...size }),
    print: printColdStart,
  },
  {
    name: 'email',
    key: 'emailBatching',
    title: 'bench: email batching (through the stack vs a naive sender; rate limiter)',
    onStack: true,
    sizes: {
      full: { jobs: 10_000, naiveJobs: 1000, limiterSeconds: 15 },
      small: { jobs: 500, naiveJobs: 100, limiterSeconds: 3 },
    },
    run: (context, size) => runEmailBatching({ ...context, ...size }),
    print: printEmailBatching,
  },
  {
    name: 'email-rate',
    key: 'emailRateLimiter',
    title:
      'bench: email rate limiter, 3 runs each at 4 and 16 concurrent batchers (200/s, burst 500)',
    onStack: true,
    sizes: {
      full: { batchers: [4, 16], runs: 3, seconds: 15 },
      small: { batchers: [4], runs: 1, seconds: 3 },
    },
    run: (context, size) =>
      runRateLimiterRuns({ ...context, .../** @type {any} */ (size), rate: 200, burst: 500 }),
    print: printRateLimiterRuns,
  },
  {
    name: 'email-backlog',
    key: 'emailBacklog',
    title:
      'bench: email re-sends under a sustained backlog (the production email params: 50/s, 2 batchers of 300)',
    onStack: true,
    // serverless.yml's default params (rate, batch size, maximum concurrency) and the batcher's 30 s
    // timeout; BENCH_EMAIL_BACKLOG='{"batchers":5,"batchSize":500}' (say) measures others.
    sizes: {
      full: { jobs: 3000, rate: 50, batchers: 2, batchSize: 300, ...backlogOverrides() },
      small: { jobs: 1000, rate: 50, batchers: 2, batchSize: 300, ...backlogOverrides() },
    },
    run: (context, size) => runEmailBacklog({ ...context, .../** @type {any} */ (size) }),
    print: printEmailBacklog,
  },
  {
    name: 'health',
    key: 'health',
    title: 'bench: GET /health through serverless offline vs the bare endpoint',
    onStack: true,
    sizes: {
      full: { requests: 600, hangingRequests: 60 },
      small: { requests: 60, hangingRequests: 8 },
    },
    run: (context, size) => runHealth({ ...context, ...size }),
    print: printHealth,
  },
  {
    name: 'workflow',
    key: 'workflow',
    title: 'bench: workflow trigger (engine outage with and without the breaker; DynamoDB per job)',
    onStack: true,
    sizes: {
      full: { jobs: 1000, outageSeconds: Number(process.env.BENCH_WORKFLOW_OUTAGE_SECONDS ?? 60) },
      small: { jobs: 50, outageSeconds: 4 },
    },
    run: (context, size) => runWorkflow({ ...context, ...size }),
    print: printWorkflow,
  },
  {
    name: 'dlq',
    key: 'dlqReplay',
    title: 'bench: dead-letter replay throughput (npm run dlq -- replay)',
    onStack: true,
    sizes: {
      full: { risingRates: [50, 100, 200, 400, 1000], minMessages: 100 },
      small: { risingRates: [50], minMessages: 20 },
    },
    run: (context, size) => runDlqReplay({ ...context, ...size }),
    print: printDlqReplay,
  },
  {
    name: 'ceiling',
    key: 'ceilingCapacity',
    title:
      'bench 5: capacity simulation (virtual clock, counting in-memory AWS): the abuse ceiling alone, then the whole ingest path',
    onStack: false,
    sizes: {
      full: { seconds: 20, containers: 50, ingest: { seconds: 5, containers: 250 } },
      small: { seconds: 2, containers: 20, ingest: { seconds: 1, containers: 100 } },
    },
    run: async (_context, size) => {
      const { seconds, containers, ingest } =
        /** @type {{ seconds: number, containers: number, ingest: { seconds: number, containers: number } }} */ (
          size
        );
      return {
        ceiling: await runCeilingCapacity({ seconds, containers }),
        ingest: await runIngestCapacity(ingest),
      };
    },
    print: (result) => {
      printCeilingCapacity(result.ceiling);
      printIngestCapacity(result.ingest);
    },
  },
  {
    name: 'dev',
    key: 'devReady',
    title: 'bench 4: npm run dev time to ready',
    onStack: false,
    sizes: { full: { runs: 3 }, small: { runs: 1 } },
    run: (context, size) => runDevReady({ log: context.log, ...size }),
    print: printDevReady,
  },
];

/**
 * Throws naming every benchmark that lacks a small or a full size: `.ci/run` runs the small sizes, so
 * a benchmark without one would never be run there and could rot unseen.
 * @param {Benchmark[]} benchmarks
 * @returns {void}
 */
function checkBenchmarks(benchmarks) {
  const problems = benchmarks.flatMap((benchmark) =>
    ['small', 'full']
      .filter((size) => {
        const params = /** @type {any} */ (benchmark.sizes)?.[size];
        return params === null || typeof params !== 'object';
      })
      .map((size) => `${benchmark.name} has no ${size} size`),
  );
  if (problems.length > 0) {
    throw new Error(
      `bench: ${problems.join('; ')}. Every benchmark needs both (bench/benchmarks.js): the small ` +
        'one runs in CI after npm test.',
    );
  }
}

/**
 * The size asked for with BENCH_SIZE (default full).
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {BenchSize}
 */
function benchSize(env = process.env) {
  const size = env.BENCH_SIZE ?? 'full';
  if (size !== 'small' && size !== 'full') {
    throw new Error(`bench: BENCH_SIZE must be small or full, got "${size}"`);
  }
  return size;
}

module.exports = { BENCHMARKS, benchSize, checkBenchmarks };
