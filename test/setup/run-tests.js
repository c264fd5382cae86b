/**
 * `npm test` after its prerequisite check: the type check, the lint and every jest project, with the
 * integration and end-to-end projects (one local stack, one worker: they share it) running side by side
 * with the CPU-bound rest (type check, lint, unit tests). The stack's suites spend much of their time
 * waiting on queues, timeouts and the local servers; the other line fills those waits, so the whole
 * run takes about as long as the stack's suites alone on two cores.
 *
 * The stack's suites print as they run; the other line's output is held and printed when it ends, so
 * the two never interleave. At the end one line sums up every jest test of both, in the plain form
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

/**
 * Runs a command to its end; its output goes to ours, or into `held` when given.
 * @param {string} label
 * @param {string} command
 * @param {string[]} args
 * @param {string[]} [held]
 * @returns {Promise<{ label: string, ok: boolean, exit: string }>}
 */
function run(label, command, args, held) {
  return new Promise((resolve) => {
    const env = { ...process.env };
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
  const stackReport = path.join(resultsDir, `jest-stack-${process.pid}.json`);
  const unitReport = path.join(resultsDir, `jest-unit-${process.pid}.json`);
  const jestArgs = (/** @type {string} */ report) => ['--json', `--outputFile=${report}`];

  const stackSuites = run('integration and e2e tests', bin('jest'), [
    '--selectProjects',
    'integration',
    'e2e',
    ...jestArgs(stackReport),
  ]);
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
  const results = [...others, await stackSuites];

  const counts = [stackReport, unitReport].map(jestCounts);
  const sum = (/** @type {'passed' | 'failed' | 'skipped'} */ key) =>
    counts.reduce((total, count) => total + count[key], 0);
  for (const report of [stackReport, unitReport]) fs.rmSync(report, { force: true });
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
