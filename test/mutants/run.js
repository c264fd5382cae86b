/**
 * Mutant run: proves that each guarantee listed in test/mutants/mutants.json has a test that defends
 * it. For each entry, `<name>.patch` (a small diff that breaks the guarantee) is applied with
 * `git apply` in a temporary copy of the project (the checkout itself is never changed), only the
 * tests named for it run there, and the patch is reverted. A break is CAUGHT when at least one named
 * test fails; it SURVIVES when they all pass. The run fails (exit code 1) when any break survives,
 * when a patch no longer applies (the code moved: make the patch again), or when the tests could not
 * run at all (that is neither caught nor survived).
 *
 * Run it with the project's Node (`npm run test:mutants -- …`), as every npm script is.
 *
 *   node test/mutants/run.js               every mutant
 *   node test/mutants/run.js NAME [NAME…]  only these
 *   node test/mutants/run.js --list        the mutants and their tests
 *   node test/mutants/run.js --baseline    first run every named test WITHOUT a patch: all must
 *                                          pass, or a "caught" could be a test failing anyway
 *
 * Prints a table: each break, the test(s) that caught it. `.ci/run` runs it after `npm test`.
 */

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const mutantsDir = __dirname;
/** One jest run of a mutant is bounded (its local stack included); past it the run is an error. */
const RUN_TIMEOUT_MS = 15 * 60_000;

/**
 * @typedef {object} Mutant
 * @property {string} name the patch is `<name>.patch`
 * @property {string} breaks the guarantee it breaks, in words
 * @property {[string, string][]} tests [test file, test name (a prefix of jest's title)]
 */

/** @returns {Mutant[]} */
function readMutants() {
  return JSON.parse(fs.readFileSync(path.join(mutantsDir, 'mutants.json'), 'utf8'));
}

/** A regular expression matching text literally (for jest's `-t`). */
const literal = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A copy of the project's tracked and untracked-but-not-ignored files, with node_modules linked, so
 * patches are applied where nobody else is working and a killed run leaves the checkout intact.
 * @returns {string}
 */
function copyProject() {
  const listed = spawnSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'connector-suite-mutants-'));
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    const from = path.join(root, file);
    if (!fs.existsSync(from)) continue; // deleted in the work tree, not yet committed
    const to = path.join(copy, file);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  return copy;
}

/**
 * Runs git apply (or, reversed, its revert) in the copy.
 * @param {string} copy
 * @param {string} patch
 * @param {boolean} reverse
 */
function gitApply(copy, patch, reverse) {
  const args = ['apply', ...(reverse ? ['-R'] : []), patch];
  const result = spawnSync('git', args, { cwd: copy, encoding: 'utf8' });
  return { ok: result.status === 0, error: (result.stderr || '').trim() };
}

/**
 * Runs only the mutant's named tests in the copy; resolves to jest's exit code and failed tests.
 * @param {string} copy
 * @param {Mutant} mutant
 * @param {string} logFile
 * @returns {Promise<{ code: number | null, failed: string[], messages: string[], ran: number, timedOut: boolean }>}
 */
function runTests(copy, mutant, logFile) {
  const files = [...new Set(mutant.tests.map(([file]) => file))];
  const names = mutant.tests.map(([, name]) => literal(name)).join('|');
  const report = path.join(copy, '.local-state', `mutant-${mutant.name}.json`);
  fs.mkdirSync(path.dirname(report), { recursive: true });
  fs.rmSync(report, { force: true });
  // Only the jest projects of the named files: a unit-only mutant starts no local stack.
  const projects = [...new Set(files.map((file) => file.split('/')[1] ?? ''))];
  const args = [
    '--ci',
    '--selectProjects',
    ...projects,
    '--runInBand',
    '--json',
    `--outputFile=${report}`,
    '--testNamePattern',
    names,
    '--runTestsByPath',
    ...files,
  ];
  const log = fs.openSync(logFile, 'w');
  return new Promise((resolve) => {
    const child = spawn(path.join(copy, 'node_modules', '.bin', 'jest'), args, {
      cwd: copy,
      stdio: ['ignore', log, log],
      detached: true,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // Its own process group: jest and what its global setup started (teardown may not run).
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fs.closeSync(log);
      /** @type {string[]} */
      const failed = [];
      /** @type {string[]} */
      const messages = [];
      let ran = 0;
      try {
        const json = JSON.parse(fs.readFileSync(report, 'utf8'));
        for (const suite of json.testResults ?? []) {
          for (const test of suite.assertionResults ?? []) {
            if (test.status === 'passed' || test.status === 'failed') ran += 1;
            if (test.status === 'failed') {
              const title = test.fullName ?? test.title;
              failed.push(title);
              messages.push(`${title}\n${(test.failureMessages ?? []).join('\n')}`);
            }
          }
          // A suite that could not run at all (its setup threw) counts as failed.
          if ((suite.assertionResults ?? []).length === 0 && suite.status === 'failed') {
            const title = `${path.relative(copy, suite.name)} (suite failed to run)`;
            failed.push(title);
            messages.push(`${title}\n${suite.message ?? ''}`);
          }
        }
      } catch {
        // No report: jest could not start (the failure is in the log).
      }
      resolve({ code, failed, messages, ran, timedOut });
    });
  });
}

async function main() {
  const argv = process.argv.slice(2);
  const mutants = readMutants();
  if (argv.includes('--list')) {
    for (const mutant of mutants) {
      console.log(`${mutant.name}: ${mutant.breaks}`);
      for (const [file, name] of mutant.tests) console.log(`    ${file}: ${name}`);
    }
    return;
  }
  const baseline = argv.includes('--baseline');
  const names = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = names.filter((name) => !mutants.some((mutant) => mutant.name === name));
  if (unknown.length > 0) throw new Error(`no mutant named ${unknown.join(', ')} (see --list)`);
  const chosen = names.length > 0 ? mutants.filter((m) => names.includes(m.name)) : mutants;

  const copy = copyProject();
  const logs = path.join(root, '.local-state', 'mutants');
  fs.mkdirSync(logs, { recursive: true });
  console.log(`mutants: ${chosen.length}, in a copy at ${copy}; jest logs in ${logs}`);
  /** @type {{ mutant: Mutant, verdict: string, detail: string }[]} */
  const rows = [];
  try {
    if (baseline) {
      /** @type {Mutant} */
      const all = {
        name: 'baseline',
        breaks: '(nothing: the named tests on the code as it is)',
        tests: chosen.flatMap((mutant) => mutant.tests),
      };
      let result = await runTests(copy, all, path.join(logs, 'baseline.log'));
      if (result.ran === 0 && result.failed.length === 0 && !result.timedOut) {
        console.log('baseline: no test ran (the local stack did not start?); trying once more');
        result = await runTests(copy, all, path.join(logs, 'baseline.log'));
      }
      if (result.code !== 0 || result.failed.length > 0) {
        // CI keeps only what is printed: the failures themselves and, when the proof ran, its
        // tables (which say what went wrong in the run: a double, a dead letter, a loss).
        for (const message of result.messages) console.log(`\nbaseline failure: ${message}`);
        const log = fs.readFileSync(path.join(logs, 'baseline.log'), 'utf8').split('\n');
        const proof = log.indexOf('Proof (small)');
        if (proof >= 0) console.log(`\n${log.slice(proof, proof + 70).join('\n')}`);
        throw new Error(
          `the named tests fail without any patch: ${result.failed.join('; ') || `jest exit ${result.code}`}`,
        );
      }
      console.log(`baseline: ${result.ran} named test(s) pass without a patch`);
    }
    for (const mutant of chosen) {
      const patch = path.join(mutantsDir, `${mutant.name}.patch`);
      const started = Date.now();
      const applied = gitApply(copy, patch, false);
      if (!applied.ok) {
        rows.push({ mutant, verdict: 'NOT APPLIED', detail: applied.error.split('\n')[0] ?? '' });
        console.log(`${mutant.name}: patch does not apply: ${applied.error}`);
        continue;
      }
      // runTests never rejects: the revert always runs. A run in which no test ran at all (the
      // local stack did not start: a port taken between its pick and its use) is tried once more.
      const logFile = path.join(logs, `${mutant.name}.log`);
      let result = await runTests(copy, mutant, logFile);
      if (result.ran === 0 && result.failed.length === 0 && !result.timedOut) {
        console.log(`${mutant.name}: no test ran (see ${logFile}); trying once more`);
        result = await runTests(copy, mutant, logFile);
      }
      const reverted = gitApply(copy, patch, true);
      if (!reverted.ok) throw new Error(`could not revert ${mutant.name}: ${reverted.error}`);
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      let verdict;
      let detail;
      if (result.failed.length > 0) {
        verdict = 'caught';
        detail = result.failed.join('; ');
      } else if (result.code === 0 && result.ran > 0) {
        verdict = 'SURVIVED';
        detail = `${result.ran} test(s) passed with the break in place`;
      } else {
        verdict = 'ERROR';
        detail = result.timedOut
          ? `no result within ${RUN_TIMEOUT_MS / 60_000} min`
          : `jest exit ${result.code}, ${result.ran} test(s) ran (named tests not found?)`;
      }
      rows.push({ mutant, verdict, detail });
      console.log(`${mutant.name}: ${verdict} in ${seconds} s: ${detail}`);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }

  console.log('\n| break | verdict | caught by |');
  console.log('|---|---|---|');
  for (const { mutant, verdict, detail } of rows) {
    console.log(
      `| ${mutant.name}: ${mutant.breaks} | ${verdict} | ${detail.replace(/\|/g, '\\|')} |`,
    );
  }
  const bad = rows.filter((row) => row.verdict !== 'caught');
  console.log(
    `\nmutants: ${rows.length - bad.length} caught, ${bad.length} not (survived, not applied or error)`,
  );
  process.exitCode = bad.length > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(`mutants: ${error?.stack ?? error}`);
  process.exitCode = 1;
});
