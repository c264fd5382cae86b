// `npm run bench`: starts one local stack, runs the three benchmarks, prints their figures and
// ratios, writes them to bench/results/latest.json, and stops everything it started. Figures are
// printed, never asserted.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runColdStart } = require('./cold-start');
const { printEmailBatching, runEmailBatching } = require('./email-batching');
const { runHttpThroughput } = require('./http-throughput');
const { runIngestVsFloor } = require('./ingest-vs-floor');
const {
  removeBenchService,
  startLocalStack,
  stopLocalStack,
  writeBenchService,
} = require('./lib/local-stack');
const { fixed, ratio, table } = require('./lib/stats');

const log = (/** @type {string} */ message) => process.stderr.write(`${message}\n`);
const ms = (/** @type {number} */ value) => fixed(value, 2);
const times = (/** @type {number} */ value) => `${fixed(value, 2)}x`;
const kb = (/** @type {number} */ bytes) => `${fixed(bytes / 1024, 1)} KB`;
const counts = (/** @type {Record<string, number>} */ values) =>
  Object.entries(values)
    .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : fixed(value, 2)}`)
    .join(', ') || 'none';
const nonAccepted = (/** @type {Record<string, number>} */ statuses) =>
  counts(Object.fromEntries(Object.entries(statuses).filter(([status]) => status !== '202')));

/** @param {Awaited<ReturnType<typeof runIngestVsFloor>>} result */
function printIngest(result) {
  const { ours, floor } = result;
  const rows = [
    [
      'median per request (ms)',
      ms(ours.latencyMs.median),
      ms(floor.latencyMs.median),
      times(ratio(ours.latencyMs.median, floor.latencyMs.median)),
    ],
    [
      'p99 per request (ms)',
      ms(ours.latencyMs.p99),
      ms(floor.latencyMs.p99),
      times(ratio(ours.latencyMs.p99, floor.latencyMs.p99)),
    ],
    [
      'mean per request (ms)',
      ms(ours.latencyMs.mean),
      ms(floor.latencyMs.mean),
      times(ratio(ours.latencyMs.mean, floor.latencyMs.mean)),
    ],
    [
      'this process CPU per request, median (ms)',
      ms(ours.cpuMsPerRequest.median),
      ms(floor.cpuMsPerRequest.median),
      times(ratio(ours.cpuMsPerRequest.median, floor.cpuMsPerRequest.median)),
    ],
    [
      'waiting on DynamoDB per request, mean (ms)',
      ms(ours.msInRoundTripsPerRequest.DynamoDB ?? 0),
      ms(floor.msInRoundTripsPerRequest.DynamoDB ?? 0),
      '',
    ],
    [
      'waiting on SQS per request, mean (ms)',
      ms(ours.msInRoundTripsPerRequest.SQS ?? 0),
      ms(floor.msInRoundTripsPerRequest.SQS ?? 0),
      '',
    ],
    [
      'DynamoDB round trips / request',
      fixed(ours.roundTripsPerRequest.DynamoDB ?? 0),
      fixed(floor.roundTripsPerRequest.DynamoDB ?? 0),
      '',
    ],
    [
      'SQS round trips / request',
      fixed(ours.roundTripsPerRequest.SQS ?? 0),
      fixed(floor.roundTripsPerRequest.SQS ?? 0),
      '',
    ],
    [
      'Secrets Manager round trips / request',
      fixed(ours.roundTripsPerRequest.SecretsManager ?? 0),
      fixed(floor.roundTripsPerRequest.SecretsManager ?? 0),
      '',
    ],
    ['non-202 answers', nonAccepted(ours.statuses), nonAccepted(floor.statuses), ''],
  ];
  console.log(
    table(
      `1. Ingest in process vs floor (local servers, sequential, ${result.requests} requests per side after ${result.warmup} warm-up, interleaved; target ours/floor <= 2)`,
      ['', 'ours', 'floor', 'ours/floor'],
      rows,
    ),
  );
  console.log(
    `   ours:  ${counts(ours.operationsPerRequest)} (HTTP requests per webhook, counted in the SDK clients)`,
  );
  console.log(`   floor: ${counts(floor.operationsPerRequest)}`);
  const verdict = ratio(ours.latencyMs.median, floor.latencyMs.median) <= 2 ? 'met' : 'MISSED';
  console.log(`   target median ratio <= 2: ${verdict}\n`);
}

/** @param {Awaited<ReturnType<typeof runHttpThroughput>>} result */
function printHttp(result) {
  const { ours, bare } = result;
  const rows = [
    ['requests', ours.requests, bare.requests, ''],
    [
      'throughput (req/s)',
      fixed(ours.requestsPerSecond, 1),
      fixed(bare.requestsPerSecond, 1),
      times(ratio(bare.requestsPerSecond, ours.requestsPerSecond)),
    ],
    [
      'p50 latency (ms)',
      ms(ours.latencyMs.median),
      ms(bare.latencyMs.median),
      times(ratio(ours.latencyMs.median, bare.latencyMs.median)),
    ],
    [
      'p99 latency (ms)',
      ms(ours.latencyMs.p99),
      ms(bare.latencyMs.p99),
      times(ratio(ours.latencyMs.p99, bare.latencyMs.p99)),
    ],
    ['non-202 answers', nonAccepted(ours.statuses), nonAccepted(bare.statuses), ''],
    ...[
      ['serverlessOffline', 'CPU / request: serverless offline (+ SQS, Secrets) (ms)'],
      ['dynamoDbLocal', 'CPU / request: DynamoDB Local (ms)'],
      ['loadGenerator', 'CPU / request: load generator (ms)'],
    ].map(([key, label]) => [
      /** @type {string} */ (label),
      ms(ours.cpuMsPerRequest[/** @type {string} */ (key)] ?? Number.NaN),
      ms(bare.cpuMsPerRequest[/** @type {string} */ (key)] ?? Number.NaN),
      '',
    ]),
  ];
  console.log(
    table(
      `2. Through serverless offline (concurrency ${result.concurrency}, keep-alive, fresh signed stripe events; ratio = ours/bare, throughput bare/ours)`,
      ['', `ours ${ours.path}`, `bare ${bare.path}`, 'ratio'],
      rows,
    ),
  );
  console.log(`   setup: ${result.setup}\n`);
}

/** @param {Awaited<ReturnType<typeof runColdStart>>} results */
function printColdStart(results) {
  for (const result of results) {
    if (result.skipped) {
      console.log(`3. Cold start: ${result.function}: skipped (${result.skipped})\n`);
      continue;
    }
    const { real, naive } = result;
    const row = (/** @type {string} */ label, /** @type {string} */ field) => [
      label,
      ms(real[field].median),
      ms(naive[field].median),
      times(ratio(real[field].median, naive[field].median)),
    ];
    const rows = [
      [
        'bundle size (as built)',
        kb(real.bundleBytes),
        kb(naive.bundleBytes),
        times(ratio(real.bundleBytes, naive.bundleBytes)),
      ],
      [
        'naive bundle if minified',
        '',
        kb(result.naiveMinifiedBytes),
        times(ratio(real.bundleBytes, result.naiveMinifiedBytes)),
      ],
      row('spawn -> first response, median (ms)', 'spawnToAnswerMs'),
      row('  node boot (ms)', 'bootMs'),
      row('  import (require) alone (ms)', 'importMs'),
      row('  first invocation (ms)', 'firstInvokeMs'),
      row('    of which CPU in the process (ms)', 'firstInvokeCpuMs'),
      [
        'spawn -> first response, p99 (ms)',
        ms(real.spawnToAnswerMs.p99),
        ms(naive.spawnToAnswerMs.p99),
        '',
      ],
      ['first answers', counts(real.statuses), counts(naive.statuses), ''],
    ];
    console.log(
      table(
        `3. Cold start: ${result.function} (${result.runs} fresh node processes per bundle, alternating; first request: ${result.firstRequest}; target real/naive <= 0.75)`,
        ['', 'real (deploy options)', 'naive (esbuild defaults)', 'real/naive'],
        rows,
      ),
    );
    const headline = ratio(real.spawnToAnswerMs.median, naive.spawnToAnswerMs.median);
    const beyondBoot = ratio(
      real.importMs.median + real.firstInvokeMs.median,
      naive.importMs.median + naive.firstInvokeMs.median,
    );
    console.log(
      `   real options: ${JSON.stringify(result.buildOptions)}; NODE_OPTIONS=${result.nodeOptions || '(none)'}`,
    );
    console.log(
      `   import + first invocation (without node's own boot): real/naive ${times(beyondBoot)}`,
    );
    console.log(
      headline <= 0.75
        ? `   target real/naive <= 0.75 on spawn -> first response: met (${times(headline)})\n`
        : `   target real/naive <= 0.75 on spawn -> first response: MISSED (${times(headline)}): the deploy bundle is not enough faster than the naive one\n`,
    );
  }
}

async function main() {
  const started = performance.now();
  const resultsFile = path.join(__dirname, 'results', 'latest.json');
  /** @type {Record<string, unknown>} */
  const results = {
    startedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
    },
  };
  const serviceDir = writeBenchService();
  const workDir = path.join(serviceDir, 'bench-build');
  fs.mkdirSync(workDir);
  let failed = false;
  try {
    log(
      'bench: starting the local stack (serverless offline, SQS, DynamoDB Local, Secrets Manager)',
    );
    const state = await startLocalStack(serviceDir);
    log(`bench: stack ready at ${state.http}`);

    log('bench 1: ingest in process vs floor');
    results.ingestInProcess = await runIngestVsFloor({
      state,
      workDir,
      requests: 500,
      warmup: 50,
      log,
    });
    printIngest(/** @type {any} */ (results.ingestInProcess));

    log('bench 2: through serverless offline');
    results.httpThroughServerlessOffline = await runHttpThroughput({
      state,
      requests: 2000,
      concurrency: 16,
      log,
    });
    printHttp(/** @type {any} */ (results.httpThroughServerlessOffline));

    log('bench 3: cold start per function');
    results.coldStart = await runColdStart({ state, serviceDir, workDir, runs: 15, log });
    printColdStart(/** @type {any} */ (results.coldStart));

    log('bench 4: email batching (through the stack vs a naive sender; rate limiter)');
    results.emailBatching = await runEmailBatching({ state, workDir, log });
    printEmailBatching(/** @type {any} */ (results.emailBatching));
  } catch (error) {
    failed = true;
    console.error(`bench failed: ${/** @type {Error} */ (error).stack ?? error}`);
  } finally {
    log('bench: stopping the local stack');
    await stopLocalStack().catch((error) => console.error(`bench: stopping failed: ${error}`));
    removeBenchService(serviceDir);
  }
  results.durationSeconds = (performance.now() - started) / 1000;
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `Bench took ${fixed(/** @type {number} */ (results.durationSeconds), 1)} s; figures in ${path.relative(process.cwd(), resultsFile)}`,
  );
  if (failed) process.exitCode = 1;
}

main();
