/**
 * `npm test` after its prerequisite check: the type check, the lint and every jest project. The
 * stack's suites (integration, e2e) are split over separate jest processes that run side by side, each
 * with a local stack of its own (global-setup.js starts one per process on free ports), next to the
 * CPU-bound line (type check, lint, unit tests):
 *
 * - the proof (`test/e2e/proof.e2e.test.ts`) alone, without jest's stack: it starts a private stack
 *   of its own and freezes its DynamoDB Local;
 * - the other suites in TEST_SHARDS groups (3 unless set: measured fastest on 2 cores), balanced by
 *   how long each took (the last full run's durations in `.local-state/suite-durations.json`, else
 *   `test/setup/suite-weights.json`, else a default), each group one jest process with one worker:
 *   its suites share its stack.
 *
 * The stack's suites spend most of their time waiting on queues, timeouts and the local servers, so
 * the groups fill each other's waits: the whole run takes about as long as its longest group. Nothing
 * is tested less than by one jest run of every project.
 *
 * The first group prints as it runs; the others' output is held and printed when they end, so no two
 * outputs interleave. At the end one line sums up every jest test, in the plain form
 * `tests: N passed, N failed` (with `, N skipped` when some were), and the exit code is 1 when any step
 * failed.
 *
 * `npm test -- <jest arguments>` runs the type check, the lint and then one plain jest with those
 * arguments, in order.
 */

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const bin = (/** @type {string} */ name) => path.join(root, 'node_modules', '.bin', name);
const resultsDir = path.join(root, '.local-state');
const {
  planStackSuites,
  stackSuiteFiles,
  suiteWeights,
  recordSuiteDurations,
} = require('./shards');

/**
 * Runs a command to its end; its output goes to ours, or into `held` when given.
 * @param {string} label
 * @param {string} command
 * @param {string[]} args
 * @param {string[]} [held]
 * @param {Record<string, string>} [extraEnv]
 * @returns {Promise<{ label: string, ok: boolean, exit: string }>}
 */
function run(label, command, args, held, extraEnv = {}) {
  return new Promise((resolve) => {
    const env = { ...process.env, ...extraEnv };
    // Held output is printed later, maybe into a log: no colour codes unless asked for.
    if (held && env.FORCE_COLOR === undefined) env.FORCE_COLOR = '0';
    const child = spawn(command, args, {
      cwd: root,
      stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit',
      env,
    });
    if (held) {
      child.stdout?.on('data', (chunk) => held.push(String(chunk)));
      child.stderr?.on('data', (chunk) => held.push(String(chunk)));
    }
    child.once('error', (error) => resolve({ label, ok: false, exit: error.message }));
    child.once('exit', (code, signal) =>
      resolve({ label, ok: code === 0, exit: signal ?? `exit code ${code}` }),
    );
  });
}

/**
 * Passed, failed and skipped test counts from a jest --json output file (all zero when it is missing,
 * as when jest could not start).
 * @param {string} file
 */
function jestCounts(file) {
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    return {
      passed: report.numPassedTests ?? 0,
      failed: (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0),
      skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    };
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
}

async function main() {
  const extra = process.argv.slice(2);
  /** @type {string[]} */
  const held = [];
  const typecheck = () => run('type check', bin('tsc'), ['--noEmit'], held);
  const lint = () => run('lint', bin('biome'), ['check', '.'], held);
  if (extra.length > 0) {
    for (const step of [typecheck, lint]) {
      const result = await step();
      process.stdout.write(held.splice(0).join(''));
      if (!result.ok) {
        console.error(`npm test: the ${result.label} failed (${result.exit}).`);
        process.exitCode = 1;
        return;
      }
    }
    const result = await run('jest', bin('jest'), extra);
    process.exitCode = result.ok ? 0 : 1;
    return;
  }

  fs.mkdirSync(resultsDir, { recursive: true });
  const reportOf = (/** @type {string} */ name) =>
    path.join(resultsDir, `jest-${name}-${process.pid}.json`);
  const jestArgs = (/** @type {string} */ report) => ['--json', `--outputFile=${report}`];
  const weights = suiteWeights();
  const shardCount = Math.max(1, Number(process.env.TEST_SHARDS ?? '3') || 3);
  const { alone, groups } = planStackSuites(stackSuiteFiles(), weights, shardCount);

  /** @type {Array<{ label: string, report: string, held?: string[], done: Promise<{ label: string, ok: boolean, exit: string }> }>} */
  const stackLines = [];
  groups.forEach((files, index) => {
    if (files.length === 0) return;
    const label = `stack suites, group ${index + 1} of ${groups.length}`;
    const report = reportOf(`stack-${index + 1}`);
    const lineHeld = index === 0 ? undefined : [];
    stackLines.push({
      label,
      report,
      held: lineHeld,
      done: run(
        label,
        bin('jest'),
        [
          '--selectProjects',
          'integration',
          'e2e',
          ...jestArgs(report),
          '--runTestsByPath',
          ...files,
        ],
        lineHeld,
      ),
    });
  });
  alone.forEach((file, index) => {
    const label = `${file} (alone, on a private stack)`;
    const report = reportOf(`alone-${index + 1}`);
    /** @type {string[]} */
    const lineHeld = [];
    stackLines.push({
      label,
      report,
      held: lineHeld,
      done: run(
        label,
        bin('jest'),
        ['--selectProjects', 'e2e', ...jestArgs(report), '--runTestsByPath', file],
        lineHeld,
        { LOCAL_STACK: 'off' },
      ),
    });
  });

  const unitReport = reportOf('unit');
  const otherLine = (async () => {
    const results = [await typecheck(), await lint()];
    results.push(
      await run(
        'unit tests',
        bin('jest'),
        ['--selectProjects', 'unit', ...jestArgs(unitReport)],
        held,
      ),
    );
    return results;
  })();

  const others = await otherLine;
  process.stdout.write(
    `\n---- type check, lint and unit tests (run beside the stack's suites) ----\n${held.join('')}` +
      '---- end of type check, lint and unit tests ----\n\n',
  );
  const results = [...others];
  for (const line of stackLines) {
    const result = await line.done;
    results.push(result);
    if (line.held) {
      process.stdout.write(
        `\n---- ${line.label} ----\n${line.held.join('')}---- end of ${line.label} ----\n\n`,
      );
    }
  }

  const reports = [...stackLines.map((line) => line.report), unitReport];
  recordSuiteDurations(
    stackLines.map((line) => line.report),
    weights,
  );
  const counts = reports.map(jestCounts);
  const sum = (/** @type {'passed' | 'failed' | 'skipped'} */ key) =>
    counts.reduce((total, count) => total + count[key], 0);
  for (const report of reports) fs.rmSync(report, { force: true });
  const failedSteps = results.filter((result) => !result.ok);
  for (const step of failedSteps)
    console.error(`npm test: the ${step.label} failed (${step.exit}).`);
  const skipped = sum('skipped') > 0 ? `, ${sum('skipped')} skipped` : '';
  console.log(`tests: ${sum('passed')} passed, ${sum('failed')} failed${skipped}`);
  process.exitCode = failedSteps.length > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(`npm test: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
