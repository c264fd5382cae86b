// Benchmark 4: how long a developer waits. `npm run dev` time to ready: `serverless offline start
// --stage local` spawned as test/setup/global-setup.js spawns it (free loopback ports, a state file),
// timed until the state file appears, then stopped by process group. And, opt-in because it takes
// about half a minute, the duration of a whole `npm test`.
//
// `node bench/dev-startup/dev-startup.js [checkout] [runs]` measures both for another checkout of the
// repo (with its own node_modules), e.g. a `git worktree` of an older commit, for a before/after
// comparison.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pickFreePort } = require('../../local/stack/ports');
const { summarize } = require('../lib/stats');

const repoRoot = path.resolve(__dirname, '..', '..');
const READY_TIMEOUT_MS = 120_000;
const STOP_GRACE_MS = 8000;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether any process of group `pgid` still exists.
 * @param {number} pgid
 */
function groupExists(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a process group we started: SIGTERM (the plugin closes its servers), then SIGKILL for
 * anything left after the grace period. Resolves once the group is gone (bounded).
 * @param {import('node:child_process').ChildProcess} child leader of its own group
 */
async function stopGroup(child) {
  const pgid = /** @type {number} */ (child.pid);
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(undefined);
    else child.once('exit', resolve);
  });
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  await Promise.race([exited, sleep(STOP_GRACE_MS)]);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  for (let waited = 0; groupExists(pgid) && waited < 2000; waited += 50) await sleep(50);
}

/**
 * One `serverless offline start --stage local` from spawn until its state file appears.
 * @param {string} root the checkout
 * @param {string} stateDir
 * @param {number} run
 * @returns {Promise<number>} milliseconds to ready
 */
async function timeOneStart(root, stateDir, run) {
  const stateFile = path.join(stateDir, `bench-dev-${process.pid}-${run}.json`);
  const logFile = path.join(stateDir, `bench-dev-${process.pid}-${run}.log`);
  fs.rmSync(stateFile, { force: true });
  const ports = [];
  for (let index = 0; index < 7; index += 1) ports.push(await pickFreePort());
  const [sqs, dynamodb, secrets, http, lambda, email, workflow] = ports;
  // `npm run dev` as a developer runs it: its embedded catalog and secrets, not the ones the bench's
  // own stack (started through jest's global setup) put into this process's environment.
  const env = { ...process.env };
  for (const name of ['SOURCES_FILE', 'LOCAL_SECRETS_FILE', 'LOCAL_LOG_FILE']) delete env[name];
  const output = fs.openSync(logFile, 'w');
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [path.join(root, 'node_modules', '.bin', 'serverless'), 'offline', 'start', '--stage', 'local'],
    {
      cwd: root,
      // Its own process group, so one signal stops serverless and DynamoDB Local's Java.
      detached: true,
      stdio: ['ignore', output, output],
      env: {
        ...env,
        LOCAL_SQS_PORT: String(sqs),
        LOCAL_DYNAMODB_PORT: String(dynamodb),
        LOCAL_SECRETS_PORT: String(secrets),
        LOCAL_EMAIL_PORT: String(email),
        LOCAL_WORKFLOW_PORT: String(workflow),
        HTTP_PORT: String(http),
        LAMBDA_PORT: String(lambda),
        LOCAL_STACK_STATE_FILE: stateFile,
        // If the bench dies before stopping it, the stack notices and stops itself.
        LOCAL_STACK_PARENT_PID: String(process.pid),
        SLS_TELEMETRY_DISABLED: '1',
      },
    },
  );
  fs.closeSync(output);
  /** @type {string | undefined} */
  let exitReason;
  child.once('exit', (code, signal) => {
    exitReason = `exited with ${signal ?? `code ${code}`}`;
  });
  child.once('error', (error) => {
    exitReason = `could not start: ${error.message}`;
  });
  try {
    while (!fs.existsSync(stateFile)) {
      if (exitReason || performance.now() - started > READY_TIMEOUT_MS) {
        const log = fs.readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
        throw new Error(`npm run dev ${exitReason ?? 'was not ready in time'}:\n${log}`);
      }
      await sleep(20);
    }
    return performance.now() - started;
  } finally {
    if (child.pid !== undefined) await stopGroup(child);
    fs.rmSync(stateFile, { force: true });
    fs.rmSync(logFile, { force: true });
  }
}

/**
 * `npm run dev` time to ready, `runs` times one after the other (nothing else of the bench running).
 * @param {{ runs?: number, root?: string, log?: (message: string) => void }} [options]
 */
async function runDevReady({ runs = 3, root = repoRoot, log = () => {} } = {}) {
  const stateDir = path.join(root, '.local-state');
  fs.mkdirSync(stateDir, { recursive: true });
  /** @type {number[]} */
  const ms = [];
  for (let run = 0; run < runs; run += 1) {
    log(`  dev ready: start ${run + 1}/${runs}`);
    ms.push(await timeOneStart(root, stateDir, run));
  }
  return { runs, readyMs: summarize(ms), samplesMs: ms };
}

/**
 * Duration of one whole `npm test` (typecheck, lint, jest with its own local stack). It stays in the
 * bench's process group, so a Ctrl-C stops it too; its stack stops itself when jest goes.
 * @param {{ root?: string, log?: (message: string) => void }} [options]
 */
async function runNpmTest({ root = repoRoot, log = () => {} } = {}) {
  log('  npm test: running (output discarded)');
  const started = performance.now();
  const child = spawn('npm', ['test'], {
    cwd: root,
    stdio: 'ignore',
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  /** @type {string} */
  const exit = await new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`));
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
  });
  return { durationMs: performance.now() - started, exit, passed: exit === 'code 0' };
}

module.exports = { runDevReady, runNpmTest };

if (require.main === module) {
  const root = path.resolve(process.argv[2] ?? repoRoot);
  const runs = Number(process.argv[3] ?? 3);
  const log = (/** @type {string} */ message) => process.stderr.write(`${message}\n`);
  (async () => {
    const devReady = await runDevReady({ root, runs, log });
    const npmTest = await runNpmTest({ root, log });
    console.log(JSON.stringify({ root, loadAverage: os.loadavg(), devReady, npmTest }, null, 2));
  })().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
