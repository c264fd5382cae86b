/**
 * What `npm test` needs besides `npm ci`, checked before anything else runs so that a missing piece
 * fails in seconds with the command that installs it, not minutes later in the one suite that needs it:
 * - the project's Node 22 (installed by `npm ci` as the `node` package; npm scripts run on it),
 * - Java 17 or later, for Amazon DynamoDB Local (integration and end-to-end tests),
 * - Chromium, for the status page test, which drives a real browser through playwright-core.
 *
 * `node test/setup/prerequisites.js` prints what it found and exits 1 naming each missing piece.
 * `CHROMIUM_PATH` points the tests at a Chromium (or Chrome) binary of your choice.
 */

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Binaries tried, in order, on the PATH when CHROMIUM_PATH is not set. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const MIN_JAVA = 17;
const MIN_NODE_MAJOR = 22;
const MIN_NODE_MINOR = 13;

const JAVA_HINT =
  'install a Java runtime 17 or newer: on Debian or Ubuntu `sudo apt-get install default-jre-headless` ' +
  '(the distribution default: Java 17 on Debian 12, 21 on Debian 13), elsewhere any JRE 17+ with ' +
  '`java` on the PATH';
const CHROMIUM_HINT =
  'install Chromium: on Debian `sudo apt-get install chromium` (Ubuntu: `chromium-browser` from a ' +
  'deb, not the snap), or point CHROMIUM_PATH at a Chromium or Chrome binary. The browser download ' +
  'of playwright itself is not used';

/**
 * An executable file named `name` on the PATH, or undefined.
 * @param {string} name
 * @param {string} [searchPath]
 * @returns {string | undefined}
 */
function onPath(name, searchPath = process.env.PATH ?? '') {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * The Chromium the browser tests use: CHROMIUM_PATH when set (it must exist), else the first of
 * CHROMIUM_NAMES on the PATH.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ path?: string, problem?: string }}
 */
function findChromium(env = process.env) {
  const chosen = env.CHROMIUM_PATH;
  if (chosen) {
    try {
      fs.accessSync(chosen, fs.constants.X_OK);
      return { path: chosen };
    } catch {
      return { problem: `CHROMIUM_PATH=${chosen} is not an executable file` };
    }
  }
  for (const name of CHROMIUM_NAMES) {
    const found = onPath(name, env.PATH);
    if (found) return { path: found };
  }
  return { problem: `no Chromium found (tried CHROMIUM_PATH, then ${CHROMIUM_NAMES.join(', ')})` };
}

/**
 * The major version of `java` on the PATH, or a problem.
 * @returns {{ major?: number, problem?: string }}
 */
function findJava() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 20_000 });
  if (result.error || result.status !== 0) return { problem: 'java was not found on the PATH' };
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (!Number.isFinite(major)) return { problem: 'java -version printed no version' };
  if (major < MIN_JAVA)
    return { major, problem: `java is version ${major}, older than ${MIN_JAVA}` };
  return { major };
}

/**
 * Every prerequisite, each with what was found or what is wrong and how to fix it.
 * @returns {{ name: string, found?: string, problem?: string, hint?: string }[]}
 */
function checkPrerequisites() {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const nodeOk = major > MIN_NODE_MAJOR || (major === MIN_NODE_MAJOR && minor >= MIN_NODE_MINOR);
  const java = findJava();
  const chromium = findChromium();
  return [
    nodeOk
      ? { name: 'Node.js', found: process.version }
      : {
          name: 'Node.js',
          problem: `npm scripts run on Node ${process.version}, not the project's Node 22`,
          hint: 'run `npm ci` first: it installs the pinned Node 22 that every npm script runs on',
        },
    java.problem
      ? { name: 'Java', problem: java.problem, hint: JAVA_HINT }
      : { name: 'Java', found: `version ${java.major}` },
    chromium.problem
      ? { name: 'Chromium', problem: chromium.problem, hint: CHROMIUM_HINT }
      : { name: 'Chromium', found: chromium.path },
  ];
}

module.exports = { checkPrerequisites, findChromium, onPath };

if (require.main === module) {
  const results = checkPrerequisites();
  const missing = results.filter((result) => result.problem);
  if (missing.length === 0) {
    console.log(
      `Prerequisites: ${results.map((result) => `${result.name} ${result.found}`).join(', ')}`,
    );
  } else {
    console.error('npm test cannot run: a prerequisite is missing.');
    for (const result of missing) {
      console.error(`  - ${result.name}: ${result.problem}.\n    Fix: ${result.hint}.`);
    }
    console.error('See "Prerequisites" in README.md.');
    process.exitCode = 1;
  }
}
