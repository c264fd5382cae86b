/**
 * How `npm test` (run-tests.js) splits the stack's suites over jest processes: which suites run alone,
 * and groups of the others balanced by how long each suite took. Plain longest-first packing into the
 * least loaded group: a handful of suites needs nothing cleverer.
 */

const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const STACK_DIRS = ['test/integration', 'test/e2e'];
/** Suites that start a stack of their own and must not share a process with the others. */
const ALONE = ['test/e2e/proof.e2e.test.ts'];
/** Seconds assumed for a suite no run has timed yet. */
const DEFAULT_WEIGHT = 10;
const COMMITTED_WEIGHTS = path.join(__dirname, 'suite-weights.json');
const MEASURED_WEIGHTS = path.join(root, '.local-state', 'suite-durations.json');

/**
 * Every `*.test.ts` under the stack's test directories, relative to the project root, sorted.
 * @param {string} [base] the project root (tests pass another)
 * @returns {string[]}
 */
function stackSuiteFiles(base = root) {
  return STACK_DIRS.flatMap((dir) => {
    const full = path.join(base, dir);
    if (!fs.existsSync(full)) return [];
    return fs
      .readdirSync(full, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => path.posix.join(dir, name.split(path.sep).join('/')));
  }).sort();
}

/**
 * Seconds per suite: the last full run's (`.local-state/`), over the committed ones.
 * @returns {Record<string, number>}
 */
function suiteWeights() {
  /** @type {Record<string, number>} */
  let weights = {};
  for (const file of [COMMITTED_WEIGHTS, MEASURED_WEIGHTS]) {
    try {
      weights = { ...weights, ...JSON.parse(fs.readFileSync(file, 'utf8')) };
    } catch {
      // Missing or unreadable: the other file, or the default, serves.
    }
  }
  return weights;
}

/**
 * The suites that run alone, and `groupCount` groups of the others with about equal total seconds.
 * @param {string[]} files
 * @param {Record<string, number>} weights
 * @param {number} groupCount
 * @returns {{ alone: string[], groups: string[][] }}
 */
function planStackSuites(files, weights, groupCount) {
  const weightOf = (/** @type {string} */ file) => {
    const weight = weights[file];
    return typeof weight === 'number' && Number.isFinite(weight) && weight > 0
      ? weight
      : DEFAULT_WEIGHT;
  };
  const alone = files.filter((file) => ALONE.includes(file));
  const rest = files
    .filter((file) => !ALONE.includes(file))
    .sort((a, b) => weightOf(b) - weightOf(a) || a.localeCompare(b));
  const groups = Array.from({ length: Math.max(1, groupCount) }, () => ({
    total: 0,
    /** @type {string[]} */ files: [],
  }));
  for (const file of rest) {
    const lightest = groups.reduce((best, group) => (group.total < best.total ? group : best));
    lightest.files.push(file);
    lightest.total += weightOf(file);
  }
  return { alone, groups: groups.map((group) => group.files) };
}

/**
 * Keeps each suite's duration from jest's --json reports in `.local-state/suite-durations.json`, for
 * the next run's grouping. Reports that are missing (a jest that could not start) add nothing.
 * @param {string[]} reports
 * @param {Record<string, number>} previous
 * @returns {void}
 */
function recordSuiteDurations(reports, previous) {
  /** @type {Record<string, number>} */
  const measured = {};
  for (const report of reports) {
    try {
      const json = JSON.parse(fs.readFileSync(report, 'utf8'));
      for (const result of json.testResults ?? []) {
        const seconds = (result.endTime - result.startTime) / 1000;
        if (!Number.isFinite(seconds) || seconds <= 0) continue;
        measured[path.relative(root, result.name).split(path.sep).join('/')] = Math.ceil(seconds);
      }
    } catch {
      // No report: nothing to learn from it.
    }
  }
  if (Object.keys(measured).length === 0) return;
  fs.mkdirSync(path.dirname(MEASURED_WEIGHTS), { recursive: true });
  fs.writeFileSync(MEASURED_WEIGHTS, `${JSON.stringify({ ...previous, ...measured }, null, 2)}\n`);
}

module.exports = { planStackSuites, recordSuiteDurations, stackSuiteFiles, suiteWeights };
