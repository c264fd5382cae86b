// `npm run bench`: starts one local stack, runs the three benchmarks on it, stops it, then times
// `npm run dev` to ready (and, with BENCH_NPM_TEST=1, a whole `npm test`); prints every figure
// beside its baseline, writes them to bench/results/latest.json, and stops everything it started.
// Figures are printed, never asserted.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runColdStart } = require('./cold-start');
const { printDlqReplay, runDlqReplay } = require('./dlq-replay');
const { printEmailBatching, runEmailBatching } = require('./email-batching');
const { printHealth, runHealth } = require('./health');
const { runHttpThroughput } = require('./http-throughput');
const { runIngestVsFloor } = require('./ingest-vs-floor');
const { printWorkflow } = require('./lib/workflow-report');
const {
  removeBenchService,
  startLocalStack,
  stopLocalStack,
  writeBenchService,
} = require('./lib/local-stack');
const {
  printColdStart,
  printDevReady,
  printHttp,
  printIngest,
  printNpmTest,
} = require('./lib/report');
const { fixed } = require('./lib/stats');
const { runDevReady, runNpmTest } = require('./startup');
const { runWorkflow } = require('./workflow');

const log = (/** @type {string} */ message) => process.stderr.write(`${message}\n`);

/** Benchmarks by name; BENCH_ONLY=ingest,dev (say) runs only those, for quick iterations. */
const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
const selected = (
  /** @type {'ingest' | 'http' | 'cold' | 'email' | 'health' | 'workflow' | 'dlq' | 'dev'} */ name,
) => only.length === 0 || only.includes(name);

/**
 * Benchmarks 1 to 3, on one local stack started for them and stopped after them.
 * @param {Record<string, unknown>} results where each benchmark's figures go
 */
async function runOnStack(results) {
  const serviceDir = writeBenchService();
  const workDir = path.join(serviceDir, 'bench-build');
  fs.mkdirSync(workDir);
  try {
    log(
      'bench: starting the local stack (serverless offline, SQS, DynamoDB Local, Secrets Manager)',
    );
    const state = await startLocalStack(serviceDir);
    log(`bench: stack ready at ${state.http}`);

    if (selected('ingest')) {
      log('bench 1: ingest in process vs floors');
      results.ingestInProcess = await runIngestVsFloor({
        state,
        workDir,
        requests: 500,
        warmup: 50,
        log,
      });
      printIngest(/** @type {any} */ (results.ingestInProcess));
    }
    if (selected('http')) {
      log('bench 2: through serverless offline');
      results.httpThroughServerlessOffline = await runHttpThroughput({
        state,
        requests: 2000,
        concurrency: 16,
        log,
      });
      printHttp(/** @type {any} */ (results.httpThroughServerlessOffline));
    }
    if (selected('cold')) {
      log('bench 3: cold start per function');
      results.coldStart = await runColdStart({ state, serviceDir, workDir, runs: 15, log });
      printColdStart(/** @type {any} */ (results.coldStart));
    }
    if (selected('email')) {
      log('bench: email batching (through the stack vs a naive sender; rate limiter)');
      results.emailBatching = await runEmailBatching({ state, workDir, log });
      printEmailBatching(/** @type {any} */ (results.emailBatching));
    }
    if (selected('health')) {
      log('bench: GET /health through serverless offline vs the bare endpoint');
      results.health = await runHealth({ state, workDir, log });
      printHealth(/** @type {any} */ (results.health));
    }
    if (selected('workflow')) {
      log('bench: workflow trigger (engine outage with and without the breaker; DynamoDB per job)');
      results.workflow = await runWorkflow({ state, workDir, log });
      printWorkflow(/** @type {any} */ (results.workflow));
    }
    if (selected('dlq')) {
      log('bench: dead-letter replay throughput (npm run dlq -- replay)');
      results.dlqReplay = await runDlqReplay({ state, workDir, log });
      printDlqReplay(/** @type {any} */ (results.dlqReplay));
    }
  } finally {
    log('bench: stopping the local stack');
    await stopLocalStack().catch((error) => console.error(`bench: stopping failed: ${error}`));
    removeBenchService(serviceDir);
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
      // Other work on the machine moves every absolute figure: read ratios first.
      loadAverageAtStart: os.loadavg(),
    },
  };
  let failed = false;
  try {
    if (
      ['ingest', 'http', 'cold', 'email', 'health', 'workflow', 'dlq'].some((name) =>
        selected(/** @type {any} */ (name)),
      )
    ) {
      await runOnStack(results);
    }
  } catch (error) {
    failed = true;
    console.error(`bench failed: ${/** @type {Error} */ (error).stack ?? error}`);
  }
  // After the stack is gone, so nothing of the bench competes with the starts for the CPU.
  try {
    if (selected('dev')) {
      log('bench 4: npm run dev time to ready');
      results.devReady = await runDevReady({ runs: 3, log });
      printDevReady(/** @type {any} */ (results.devReady));
    }
    if (process.env.BENCH_NPM_TEST === '1') {
      log('bench 5: npm test duration');
      results.npmTest = await runNpmTest({ log });
    }
    printNpmTest(/** @type {any} */ (results.npmTest));
  } catch (error) {
    failed = true;
    console.error(`bench failed: ${/** @type {Error} */ (error).stack ?? error}`);
  }
  results.durationSeconds = (performance.now() - started) / 1000;
  results.loadAverageAtEnd = os.loadavg();
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `Bench took ${fixed(/** @type {number} */ (results.durationSeconds), 1)} s (load average ${os
      .loadavg()
      .map((value) => fixed(value, 1))
      .join(
        ' ',
      )} on ${os.cpus().length} CPUs); figures in ${path.relative(process.cwd(), resultsFile)}`,
  );
  if (failed) process.exitCode = 1;
}

main();
