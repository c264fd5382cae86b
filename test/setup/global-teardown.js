/**
 * Jest globalTeardown: stops the local stack `global-setup.js` started, by its process group
 * (serverless and DynamoDB Local's Java), and waits until it is gone: SIGTERM first, so the plugin
 * closes its servers itself, then SIGKILL for anything left. Its log is removed unless
 * LOCAL_STACK_KEEP_LOG=1.
 */

const fs = require('node:fs');
const path = require('node:path');
const { mergeRecordings } = require('./aws-calls');

const GRACE_MS = 8000;

/**
 * Whether `pid` (negative: any process of that group) still exists.
 * @param {number} pid
 * @returns {boolean}
 */
function exists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Waits until `check` turns false or `ms` pass.
 * @param {() => boolean} check
 * @param {number} ms
 */
async function waitWhile(check, ms) {
  const deadline = Date.now() + ms;
  while (check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** @returns {Promise<void>} */
module.exports = async function globalTeardown() {
  const handle =
    /** @type {{ __LOCAL_STACK__?: { pid?: number, stateFile: string, logFile: string, callsFile?: string } }} */ (
      globalThis
    );
  const stack = handle.__LOCAL_STACK__;
  const pid = stack?.pid;
  if (!stack || pid === undefined) return;
  handle.__LOCAL_STACK__ = undefined;

  signalGroup(pid, 'SIGTERM');
  // serverless is our child, so it is reaped as soon as it exits and then no longer exists.
  await waitWhile(() => exists(pid), GRACE_MS);
  // Anything left in the group (a Java that did not stop, esbuild's service) is killed outright. The
  // wait is bounded: a zombie nobody reaps would look alive for ever.
  signalGroup(pid, 'SIGKILL');
  await waitWhile(() => exists(-pid), 2000);
  fs.rmSync(stack.stateFile, { force: true });
  if (stack.callsFile) {
    // The stack is stopped: its recording is complete. Fold it into the fixture.
    mergeRecordings([stack.callsFile], path.join(__dirname, '..', 'fixtures', 'aws-calls.json'));
    // Kept beside the log with LOCAL_STACK_KEEP_LOG=1, to see what one run recorded.
    if (process.env.LOCAL_STACK_KEEP_LOG !== '1') fs.rmSync(stack.callsFile, { force: true });
  }
  if (process.env.LOCAL_STACK_KEEP_LOG !== '1') {
    fs.rmSync(stack.logFile, { force: true });
    // The stack's JSON log file, beside its state file (local/stack/log-file.js).
    fs.rmSync(stack.stateFile.replace(/\.json$/, '.logs.jsonl'), { force: true });
  }
};
