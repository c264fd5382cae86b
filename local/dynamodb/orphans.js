const fs = require('node:fs');
const path = require('node:path');

/**
 * Remembers which DynamoDB Local (a Java process) each local stack started, so that a stack whose
 * Node process was killed outright (SIGKILL, a crash) leaves no Java holding its port for ever: the
 * next start finds the record, checks that the process is still that DynamoDB Local and that the stack
 * which started it is gone, and stops it. One small JSON file per port under `.local-state/`.
 */

/** `.local-state/` of the project (this file lives in `local/dynamodb/`). */
const DEFAULT_STATE_DIR = path.join(__dirname, '..', '..', '.local-state');
const FILE_PATTERN = /^dynamodb-local-(\d+)\.json$/;

/**
 * @typedef {{ pid: number, port: number, ownerPid: number }} DynamoDbLocalRecord
 */

/**
 * @param {string} stateDir
 * @param {number} port
 */
const recordFile = (stateDir, port) => path.join(stateDir, `dynamodb-local-${port}.json`);

/**
 * Whether a process exists and is not a zombie (a killed child nobody has reaped yet).
 * @param {number} pid
 * @returns {boolean}
 */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
  try {
    // A zombie main thread is not enough: the JVM's other threads may still run its shutdown, with
    // the port still open. Gone means a zombie with no thread left but that one.
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const zombie = /^State:\s+Z/m.test(status);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
    return !(zombie && threads <= 1);
  } catch {
    // No /proc entry: gone, if /proc exists at all.
    return !fs.existsSync('/proc/self');
  }
}

/**
 * The parent PID of a process, from /proc; undefined when it cannot be read. An orphan's parent is
 * init or a subreaper, never the stack that started it, even if that stack's PID has been reused.
 * @param {number} pid
 * @returns {number | undefined}
 */
function parentOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

/**
 * Whether the stack that started a DynamoDB Local still runs it: the process is still its child
 * (where /proc tells the parent) and it is alive.
 * @param {DynamoDbLocalRecord} record
 * @returns {boolean}
 */
function isOwned({ pid, ownerPid }) {
  const parent = parentOf(pid);
  return isRunning(ownerPid) && (parent === undefined || parent === ownerPid);
}

/**
 * Whether `pid` is Amazon DynamoDB Local listening on `port`, judged by its command line. Without
 * /proc (not Linux) nothing can be told, and the answer is no: a process is never stopped on a guess.
 * @param {number} pid
 * @param {number} port
 * @returns {boolean}
 */
function isDynamoDbLocal(pid, port) {
  let args;
  try {
    args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  const portIndex = args.indexOf('-port');
  return (
    args.some((arg) => arg.includes('DynamoDBLocal')) &&
    portIndex !== -1 &&
    args[portIndex + 1] === String(port)
  );
}

/**
 * Writes the record of a DynamoDB Local this process started.
 * @param {{ stateDir?: string, port: number, pid: number }} options
 * @returns {void}
 */
function rememberDynamoDbLocal({ stateDir = DEFAULT_STATE_DIR, port, pid }) {
  fs.mkdirSync(stateDir, { recursive: true });
  /** @type {DynamoDbLocalRecord} */
  const record = { pid, port, ownerPid: process.pid };
  const file = recordFile(stateDir, port);
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(record)}\n`);
  fs.renameSync(temporary, file);
}

/**
 * Removes the record of a DynamoDB Local that has been stopped (only if it is still that one's).
 * @param {{ stateDir?: string, port: number, pid: number }} options
 * @returns {void}
 */
function forgetDynamoDbLocal({ stateDir = DEFAULT_STATE_DIR, port, pid }) {
  const file = recordFile(stateDir, port);
  if (readRecord(file)?.pid === pid) fs.rmSync(file, { force: true });
}

/**
 * @param {string} file
 * @returns {DynamoDbLocalRecord | undefined}
 */
function readRecord(file) {
  try {
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    const valid = ['pid', 'port', 'ownerPid'].every((key) => Number.isInteger(record?.[key]));
    return valid ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until `pid` is no longer running, for at most `ms`.
 * @param {number} pid
 * @param {number} ms
 * @returns {Promise<boolean>} whether it is gone
 */
async function waitUntilGone(pid, ms) {
  const deadline = Date.now() + ms;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Stops every recorded DynamoDB Local whose stack is gone (SIGTERM, then SIGKILL), and drops records
 * of processes that no longer run. A record whose stack still runs is left alone, and so is a process
 * that is not DynamoDB Local on the recorded port (its PID was reused).
 * @param {{ stateDir?: string, log?: (message: string) => void }} [options]
 * @returns {Promise<number[]>} the PIDs stopped
 */
async function stopOrphanedDynamoDbLocals({ stateDir = DEFAULT_STATE_DIR, log = () => {} } = {}) {
  /** @type {string[]} */
  let names = [];
  try {
    names = fs.readdirSync(stateDir).filter((name) => FILE_PATTERN.test(name));
  } catch {
    return [];
  }
  /** @type {number[]} */
  const stopped = [];
  for (const name of names) {
    const file = path.join(stateDir, name);
    const record = readRecord(file);
    if (record && isOwned(record)) continue;
    if (record && isRunning(record.pid) && isDynamoDbLocal(record.pid, record.port)) {
      log(`Stopping DynamoDB Local (pid ${record.pid}, port ${record.port}) left by a stopped run`);
      signal(record.pid, 'SIGTERM');
      if (!(await waitUntilGone(record.pid, 3000))) {
        signal(record.pid, 'SIGKILL');
        await waitUntilGone(record.pid, 2000);
      }
      stopped.push(record.pid);
    }
    fs.rmSync(file, { force: true });
  }
  return stopped;
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} name
 */
function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

module.exports = {
  rememberDynamoDbLocal,
  forgetDynamoDbLocal,
  stopOrphanedDynamoDbLocals,
  isDynamoDbLocal,
  isRunning,
};
