// `npm run bench`: starts one local stack, runs the benchmarks that need it (bench/benchmarks.js), stops
// it, then runs the others (`npm run dev` time to ready); prints every figure beside its baseline,
// writes them to bench/results/latest.json, and stops everything it started. Figures are printed,
// never asserted.
//
// BENCH_ONLY=ingest,dev (say) runs only those; BENCH_SIZE=small runs every benchmark at its small size
// (seconds each: what `.ci/run` runs after `npm test`). A benchmark without a small size is refused.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { BENCHMARKS, benchSize, checkBenchmarks } = require('./benchmarks');
const {
  removeBenchService,
  startLocalStack,
  stopLocalStack,
  writeBenchService,
} = require('./lib/local-stack');
const { fixed } = require('./lib/stats');

const log = (/** @type {string} */ message) => process.stderr.write(`${message}\n`);

/**
 * The benchmarks BENCH_ONLY names (all when it is empty); an unknown name is refused.
 * @returns {typeof BENCHMARKS}
 */
function selectedBenchmarks() {
  const only = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean);
  const unknown = only.filter((name) => !BENCHMARKS.some((benchmark) => benchmark.name === name));
  if (unknown.length > 0) {
    throw new Error(
      `bench: unknown benchmark ${unknown.join(', ')} in BENCH_ONLY; known: ${BENCHMARKS.map((b) => b.name).join(', ')}`,
    );
  }
  return BENCHMARKS.filter((benchmark) => only.length === 0 || only.includes(benchmark.name));
}

/**
 * Runs `benchmarks` one after the other, each printed as soon as it ends; a failure is reported and
 * the others still run.
 * @param {typeof BENCHMARKS} benchmarks
 * @param {import('./benchmarks').StackContext} context
 * @param {import('./benchmarks').BenchSize} size
 * @param {Record<string, unknown>} results
 * @returns {Promise<string[]>} the names of those that failed
 */
async function runEach(benchmarks, context, size, results) {
  /** @type {string[]} */
  const failed = [];
  for (const benchmark of benchmarks) {
    log(`${benchmark.title} (${size} size)`);
    try {
      results[benchmark.key] = await benchmark.run(context, benchmark.sizes[size]);
      benchmark.print(results[benchmark.key]);
    } catch (error) {
      failed.push(benchmark.name);
      console.error(
        `bench ${benchmark.name} failed: ${/** @type {Error} */ (error).stack ?? error}`,
      );
    }
  }
  return failed;
}

/**
 * The benchmarks that need the local stack, on one stack started for them and stopped after them.
 * @param {typeof BENCHMARKS} benchmarks
 * @param {import('./benchmarks').BenchSize} size
 * @param {Record<string, unknown>} results
 * @returns {Promise<string[]>} the names of those that failed
 */
async function runOnStack(benchmarks, size, results) {
  if (benchmarks.length === 0) return [];
  const serviceDir = writeBenchService();
  const workDir = path.join(serviceDir, 'bench-build');
  fs.mkdirSync(workDir);
  try {
    log(
      'bench: starting the local stack (serverless offline, SQS, DynamoDB Local, Secrets Manager)',
    );
    const state = await startLocalStack(serviceDir);
    log(`bench: stack ready at ${state.http}`);
    return await runEach(benchmarks, { state, serviceDir, workDir, log }, size, results);
  } finally {
    log('bench: stopping the local stack');
    await stopLocalStack().catch((error) => console.error(`bench: stopping failed: ${error}`));
    removeBenchService(serviceDir);
  }
}

async function main() {
  const started = performance.now();
  checkBenchmarks(BENCHMARKS);
  const size = benchSize();
  const benchmarks = selectedBenchmarks();
  const resultsFile = path.join(__dirname, 'results', 'latest.json');
  /** @type {Record<string, unknown>} */
  const results = {
    startedAt: new Date().toISOString(),
    size,
    machine: {
      node: process.version,
      cpus: os.cpus().length,
      platform: `${os.platform()} ${os.arch()}`,
      // Other work on the machine moves every absolute figure: read ratios first.
      loadAverageAtStart: os.loadavg(),
    },
  };
  /** @type {string[]} */
  const failed = [];
  try {
    failed.push(
      ...(await runOnStack(
        benchmarks.filter((benchmark) => benchmark.onStack),
        size,
        results,
      )),
    );
  } catch (error) {
    failed.push('local stack');
    console.error(`bench failed: ${/** @type {Error} */ (error).stack ?? error}`);
  }
  // After the stack is gone, so nothing of the bench competes with them for the CPU.
  failed.push(
    ...(await runEach(
      benchmarks.filter((benchmark) => !benchmark.onStack),
      { state: undefined, serviceDir: '', workDir: '', log },
      size,
      results,
    )),
  );
  results.failed = failed;
  results.durationSeconds = (performance.now() - started) / 1000;
  results.loadAverageAtEnd = os.loadavg();
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `Bench (${size} size) took ${fixed(/** @type {number} */ (results.durationSeconds), 1)} s (load average ${os
      .loadavg()
      .map((value) => fixed(value, 1))
      .join(
        ' ',
      )} on ${os.cpus().length} CPUs); figures in ${path.relative(process.cwd(), resultsFile)}`,
  );
  if (failed.length > 0) {
    console.error(`bench: ${failed.length} failed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`bench: ${/** @type {Error} */ (error).message ?? error}`);
  process.exitCode = 2;
});
