// How `npm run bench` prints each benchmark: figures against their baselines, side by side.

const { fixed, ratio, table } = require('./stats');

const ms = (/** @type {number} */ value) => fixed(value, 2);
const times = (/** @type {number} */ value) => `${fixed(value, 2)}x`;
const kb = (/** @type {number} */ bytes) => `${fixed(bytes / 1024, 1)} KB`;
const counts = (/** @type {Record<string, number>} */ values) =>
  Object.entries(values)
    .map(([key, value]) => `${key} ${Number.isInteger(value) ? value : fixed(value, 2)}`)
    .join(', ') || 'none';
const nonAccepted = (/** @type {Record<string, number>} */ statuses) =>
  counts(Object.fromEntries(Object.entries(statuses).filter(([status]) => status !== '202')));

/** Target of benchmark 1: ours against the crash-safe floor, and DynamoDB writes per webhook. */
/** Issue 19: ingest at most 1.3x the crash-safe floor in median latency and in CPU per request. */
const INGEST_TARGET = { maxRatio: 1.3, maxWrites: 3 };
/** Issue 19: every function's cold start at most 0.6x its naive bundle's. */
const COLD_START_TARGET = 0.6;

/** @param {Awaited<ReturnType<typeof import('../ingest/ingest-vs-floor').runIngestVsFloor>>} result */
function printIngest(result) {
  const { ours, floor, crashSafe } = result;
  /**
   * @param {string} label
   * @param {(side: typeof ours) => number} pick
   * @param {boolean} [withRatio]
   */
  const row = (label, pick, withRatio = true) => [
    label,
    ms(pick(ours)),
    ms(pick(floor)),
    ms(pick(crashSafe)),
    withRatio ? times(ratio(pick(ours), pick(floor))) : '',
    withRatio ? times(ratio(pick(ours), pick(crashSafe))) : '',
  ];
  /**
   * @param {string} label
   * @param {(side: typeof ours) => number} pick
   */
  const count = (label, pick) => [
    label,
    fixed(pick(ours)),
    fixed(pick(floor)),
    fixed(pick(crashSafe)),
    '',
    '',
  ];
  const rows = [
    row('median per request (ms)', (side) => side.latencyMs.median),
    row('p99 per request (ms)', (side) => side.latencyMs.p99),
    row('mean per request (ms)', (side) => side.latencyMs.mean),
    row('this process CPU per request, median (ms)', (side) => side.cpuMsPerRequest.median),
    row(
      'waiting on DynamoDB per request, mean (ms)',
      (side) => side.msInRoundTripsPerRequest.DynamoDB ?? 0,
      false,
    ),
    row(
      'waiting on SQS per request, mean (ms)',
      (side) => side.msInRoundTripsPerRequest.SQS ?? 0,
      false,
    ),
    count('DynamoDB writes / accepted webhook', (side) => side.dynamoDbPerAccepted.writes),
    count('DynamoDB reads / accepted webhook', (side) => side.dynamoDbPerAccepted.reads),
    count('SQS round trips / request', (side) => side.roundTripsPerRequest.SQS ?? 0),
    count(
      'Secrets Manager round trips / request',
      (side) => side.roundTripsPerRequest.SecretsManager ?? 0,
    ),
    [
      'non-202 answers',
      nonAccepted(ours.statuses),
      nonAccepted(floor.statuses),
      nonAccepted(crashSafe.statuses),
      '',
      '',
    ],
  ];
  console.log(
    table(
      `1. Ingest in process vs floors (local servers, sequential, ${result.requests} requests per side after ${result.warmup} warm-up, interleaved; target ours/crash-safe <= ${INGEST_TARGET.maxRatio} in median and CPU, with <= ${INGEST_TARGET.maxWrites} DynamoDB writes per webhook)`,
      ['', 'ours', 'floor (1 write)', 'crash-safe floor', 'ours/floor', 'ours/crash-safe'],
      rows,
    ),
  );
  console.log(
    `   ours:             ${counts(ours.operationsPerRequest)} (HTTP requests per webhook, counted in the SDK clients)`,
  );
  console.log(`   floor (1 write):  ${counts(floor.operationsPerRequest)}`);
  console.log(`   crash-safe floor: ${counts(crashSafe.operationsPerRequest)}`);
  const medianRatio = ratio(ours.latencyMs.median, crashSafe.latencyMs.median);
  const cpuRatio = ratio(ours.cpuMsPerRequest.median, crashSafe.cpuMsPerRequest.median);
  const writes = ours.dynamoDbPerAccepted.writes;
  const met =
    medianRatio <= INGEST_TARGET.maxRatio &&
    cpuRatio <= INGEST_TARGET.maxRatio &&
    writes <= INGEST_TARGET.maxWrites;
  console.log(
    `   target ours/crash-safe <= ${INGEST_TARGET.maxRatio} in median (${times(medianRatio)}) and in CPU (${times(cpuRatio)}) with <= ${INGEST_TARGET.maxWrites} writes per accepted webhook (${fixed(writes)}): ${met ? 'met' : 'MISSED'}\n`,
  );
}

/** @param {Awaited<ReturnType<typeof import('../ingest/http-throughput').runHttpThroughput>>} result */
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

/** @param {Awaited<ReturnType<typeof import('../cold-start/cold-start').runColdStart>>} results */
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
      [
        '  min to max (ms)',
        `${fixed(real.spawnToAnswerMs.min, 1)} to ${fixed(real.spawnToAnswerMs.max, 1)}`,
        `${fixed(naive.spawnToAnswerMs.min, 1)} to ${fixed(naive.spawnToAnswerMs.max, 1)}`,
        '',
      ],
      row('spawn -> handler loaded (init), median (ms)', 'initMs'),
      row('CPU of the process, spawn -> response, median (ms)', 'processCpuMs'),
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
        `3. Cold start: ${result.function} (${result.runs} fresh node processes per bundle, alternating; first request: ${result.firstRequest}; target real/naive <= ${COLD_START_TARGET})`,
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
    const verdict = (/** @type {string} */ measure, /** @type {number} */ value) =>
      value <= COLD_START_TARGET
        ? `   target real/naive <= ${COLD_START_TARGET} on ${measure}: met (${times(value)})`
        : `   target real/naive <= ${COLD_START_TARGET} on ${measure}: MISSED (${times(value)}): the deploy bundle is not enough faster than the naive one`;
    const init = ratio(real.initMs.median, naive.initMs.median);
    // With a first request, both: init alone (Lambda's Init Duration) does not hide the first
    // invocation's cost. Without one, spawn -> first response is the init.
    console.log(
      result.firstRequest.startsWith('none')
        ? `${verdict('spawn -> first response (import only: init)', headline)}\n`
        : `${verdict('spawn -> first response', headline)}\n${verdict('init alone (spawn -> handler loaded)', init)}\n`,
    );
  }
}

/** @param {Awaited<ReturnType<typeof import('../dev-startup/dev-startup').runDevReady>>} result */
function printDevReady(result) {
  const { readyMs } = result;
  console.log(
    table(
      `4. npm run dev with its embedded defaults: spawn -> ready (state file written), ${result.runs} start(s) one after another, each stopped by process group (target: at most 6 s on 2 idle cores)`,
      ['', 'ms'],
      [
        ['median', ms(readyMs.median)],
        ['min', ms(readyMs.min)],
        ['max', ms(readyMs.max)],
        ['every start', result.samplesMs.map((value) => fixed(value, 0)).join(', ')],
      ],
    ),
  );
  console.log('');
}

module.exports = { printIngest, printHttp, printColdStart, printDevReady };
