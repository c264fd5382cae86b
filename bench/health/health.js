// Health benchmark: GET /health through serverless offline against the bare endpoint of the ingest
// benchmark (same serverless-offline instance), with every dependency up and with DynamoDB Local
// frozen; and the AWS calls per 1,000 /health requests, counted in the SDK clients of an in-process
// build. Runs alone with `BENCH_ONLY=health npm run bench`.

const http = require('node:http');
const path = require('node:path');
const { bundleTypeScript } = require('../lib/bundle-ts');
const { countingClients } = require('../lib/aws-clients');
const { fixed, ratio, summarize, table } = require('../lib/stats');

/**
 * Sends `count` requests with at most `concurrency` in flight; returns latencies and statuses.
 * @param {{ url: URL, method: string, count: number, concurrency: number, agent: http.Agent }} o
 */
async function load({ url, method, count, concurrency, agent }) {
  /** @type {number[]} */
  const ms = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  let sent = 0;
  const one = () =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = http.request(url, { method, agent, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          ms.push(performance.now() - started);
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          resolve(undefined);
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        statuses.error = (statuses.error ?? 0) + 1;
        resolve(undefined);
      });
      req.end();
    });
  const worker = async () => {
    while (sent < count) {
      sent += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms, statuses };
}

/** Bundles the health wiring to CommonJS with packages left to node_modules. @param {string} outDir */
async function buildHealthModule(outDir) {
  return bundleTypeScript(path.join(outDir, 'health-in-process.js'), [
    "export { loadHealthConfig } from './functions/health-probe/config';",
    "export { buildHealthProbe } from './functions/health-probe/wiring';",
    "export { loadTimeoutSettings } from './shared/clients/options';",
  ]);
}

/**
 * AWS calls made by `requests` sequential /health requests of one container (in process, default
 * live cache), counted per operation.
 * @param {{ state: any, workDir: string, requests: number }} options
 */
async function awsCallsPerHealthRequests({ state, workDir, requests }) {
  const { Logger } = require('@aws-lambda-powertools/logger');
  const { lambdaContext } = require('../lib/requests');
  const modulePath = await buildHealthModule(workDir);
  const { buildHealthProbe, loadHealthConfig, loadTimeoutSettings } = require(modulePath);
  const clients = countingClients(state);
  const queues = /** @type {Record<string, { url: string }>} */ (state.queues);
  const config = loadHealthConfig({
    SOURCES_PROFILE: 'local',
    SECRETS_PREFIX: 'connector-suite/local',
    IDEMPOTENCY_TABLE: state.tables.IdempotencyTable.name,
    STATE_TABLE: state.tables.StateTable.name,
    EMAIL_JOBS_QUEUE_URL: queues.EmailJobsQueue?.url,
    EMAIL_JOBS_DLQ_URL: queues.EmailJobsDlq?.url,
    WORKFLOW_JOBS_QUEUE_URL: queues.WorkflowJobsQueue?.url,
    WORKFLOW_JOBS_DLQ_URL: queues.WorkflowJobsDlq?.url,
    STATUS_AUTH: 'off',
    HEALTH_CLOUDWATCH: 'off',
  });
  const metrics = { addMetric() {}, publishStoredMetrics() {} };
  const handler = buildHealthProbe(
    config,
    clients,
    { logger: new Logger({ logLevel: 'SILENT' }), metrics },
    loadTimeoutSettings({}),
    { stage: 'local' },
  );
  const event = (/** @type {number} */ i) => ({
    version: '2.0',
    routeKey: 'GET /health',
    rawPath: '/health',
    rawQueryString: '',
    headers: {},
    requestContext: { http: { method: 'GET', path: '/health' }, requestId: `bench-${i}` },
  });
  const started = performance.now();
  try {
    for (let i = 0; i < requests; i += 1) {
      await handler(event(i), lambdaContext('connector-suite-local-health-probe'));
    }
  } finally {
    clients.destroy();
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const counts = clients.takeCounts();
  const calls = Object.values(counts.byOperation).reduce((sum, n) => sum + n, 0);
  return {
    requests,
    wallSeconds,
    cacheSeconds: config.liveCacheSeconds,
    calls,
    callsPer1000: (calls / requests) * 1000,
    byOperation: counts.byOperation,
  };
}

/**
 * @param {{ state: any, workDir: string, requests?: number, hangingRequests?: number,
 *   concurrency?: number, log?: (m: string) => void }} options
 */
async function runHealth({
  state,
  workDir,
  requests = 600,
  hangingRequests = 60,
  concurrency = 4,
  log = () => {},
}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const health = new URL('/health', state.http);
  const bare = new URL('/bench/bare', state.http);
  /** @type {{ health: number[], bare: number[], hanging: number[] }} */
  const ms = { health: [], bare: [], hanging: [] };
  /** @type {Record<'health' | 'bare' | 'hanging', Record<string, number>>} */
  const statuses = { health: {}, bare: {}, hanging: {} };
  const add = (/** @type {'health' | 'bare' | 'hanging'} */ name, /** @type {any} */ r) => {
    ms[name].push(...r.ms);
    for (const [s, n] of Object.entries(r.statuses)) {
      statuses[name][s] = (statuses[name][s] ?? 0) + /** @type {number} */ (n);
    }
  };
  try {
    log('  health: warm-up');
    await load({ url: bare, method: 'POST', count: 32, concurrency, agent });
    await load({ url: health, method: 'GET', count: 32, concurrency, agent });
    for (let round = 0; round < 2; round += 1) {
      log(`  health: round ${round + 1}/2, ${requests / 2} requests per endpoint`);
      const count = requests / 2;
      add('bare', await load({ url: bare, method: 'POST', count, concurrency, agent }));
      add('health', await load({ url: health, method: 'GET', count, concurrency, agent }));
    }
    log(`  health: DynamoDB Local frozen, ${hangingRequests} requests`);
    process.kill(state.dynamoDbPid, 'SIGSTOP');
    try {
      add(
        'hanging',
        await load({ url: health, method: 'GET', count: hangingRequests, concurrency, agent }),
      );
    } finally {
      process.kill(state.dynamoDbPid, 'SIGCONT');
    }
  } finally {
    agent.destroy();
  }
  log('  health: AWS calls per 1,000 /health requests (in process)');
  const aws = await awsCallsPerHealthRequests({ state, workDir, requests: 1000 });
  return {
    up: { latencyMs: summarize(ms.health), statuses: statuses.health },
    bare: { latencyMs: summarize(ms.bare), statuses: statuses.bare },
    hanging: { latencyMs: summarize(ms.hanging), statuses: statuses.hanging },
    aws,
  };
}

/** @param {Awaited<ReturnType<typeof runHealth>>} result */
function printHealth(result) {
  const row = (/** @type {string} */ label, /** @type {any} */ side) => [
    label,
    fixed(side.latencyMs.median, 2),
    fixed(side.latencyMs.p99, 2),
    `${fixed(ratio(side.latencyMs.median, result.bare.latencyMs.median), 2)}x`,
    `${fixed(ratio(side.latencyMs.p99, result.bare.latencyMs.p99), 2)}x`,
    JSON.stringify(side.statuses),
  ];
  console.log(
    table(
      'Health: GET /health through serverless offline vs the bare endpoint (concurrency 4, keep-alive)',
      ['', 'median (ms)', 'p99 (ms)', 'median/bare', 'p99/bare', 'statuses'],
      [
        row('bare /bench/bare', result.bare),
        row('/health, all up', result.up),
        row('/health, DynamoDB frozen', result.hanging),
      ],
    ),
  );
  const a = result.aws;
  console.log(
    `   AWS calls per 1,000 /health requests (one container, live cache ${a.cacheSeconds} s, ${fixed(a.wallSeconds, 1)} s of requests): ${fixed(a.callsPer1000, 1)} (${JSON.stringify(a.byOperation)})\n`,
  );
}

module.exports = { runHealth, printHealth };
