const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { LocalStackError } = require('./local-stack-error');

/** Loopback address every local server binds to (DynamoDB Local is the one exception). */
const LOOPBACK = '127.0.0.1';

/**
 * The ports of the servers the local stack owns, each overridable by one environment variable.
 * @type {Record<'sqs' | 'dynamodb' | 'secretsManager' | 'emailSandbox' | 'workflowSandbox', { envVar: string, fallback: number, label: string }>}
 */
const LOCAL_PORTS = Object.freeze({
  sqs: { envVar: 'LOCAL_SQS_PORT', fallback: 9324, label: 'SQS emulator' },
  dynamodb: { envVar: 'LOCAL_DYNAMODB_PORT', fallback: 8000, label: 'DynamoDB Local' },
  secretsManager: {
    envVar: 'LOCAL_SECRETS_PORT',
    fallback: 4584,
    label: 'Secrets Manager endpoint',
  },
  emailSandbox: { envVar: 'LOCAL_EMAIL_PORT', fallback: 4590, label: 'Email sandbox' },
  workflowSandbox: { envVar: 'LOCAL_WORKFLOW_PORT', fallback: 4591, label: 'Workflow sandbox' },
});

/**
 * Reads one port from the environment, failing with a message that names the variable.
 * @param {NodeJS.ProcessEnv} env
 * @param {string} envVar
 * @param {number} fallback
 * @returns {number}
 */
function readPort(env, envVar, fallback) {
  const raw = env[envVar];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LocalStackError(`${envVar} must be a port number from 1 to 65535, got "${raw}".`);
  }
  return port;
}

/**
 * The ports of the SQS emulator, DynamoDB Local, the Secrets Manager endpoint and the email sandbox.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {{ sqs: number, dynamodb: number, secretsManager: number, emailSandbox: number, workflowSandbox: number }}
 */
function readLocalPorts(env = process.env) {
  return {
    sqs: readPort(env, LOCAL_PORTS.sqs.envVar, LOCAL_PORTS.sqs.fallback),
    dynamodb: readPort(env, LOCAL_PORTS.dynamodb.envVar, LOCAL_PORTS.dynamodb.fallback),
    secretsManager: readPort(
      env,
      LOCAL_PORTS.secretsManager.envVar,
      LOCAL_PORTS.secretsManager.fallback,
    ),
    emailSandbox: readPort(env, LOCAL_PORTS.emailSandbox.envVar, LOCAL_PORTS.emailSandbox.fallback),
    workflowSandbox: readPort(
      env,
      LOCAL_PORTS.workflowSandbox.envVar,
      LOCAL_PORTS.workflowSandbox.fallback,
    ),
  };
}

/**
 * The message shown when a port is taken: which server wanted it and how to pick another one.
 * @param {{ port: number, label: string, envVar: string }} target
 * @returns {string}
 */
function portInUseMessage({ port, label, envVar }) {
  return (
    `Port ${port} (${label}) is already in use. Stop whatever listens there ` +
    `(is another "npm run dev" running?) or choose another port: ${envVar}=<port>.`
  );
}

/**
 * Starts `server` on `host:port`, turning EADDRINUSE into a message that names the variable to change.
 * @param {import('node:net').Server} server
 * @param {{ port: number, host?: string, label: string, envVar: string }} target
 * @returns {Promise<void>}
 */
function listen(server, target) {
  return new Promise((resolve, reject) => {
    const onError = (/** @type {NodeJS.ErrnoException} */ error) => {
      server.off('listening', onListening);
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalStackError(portInUseMessage(target), { cause: error })
          : error,
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(target.port, target.host);
  });
}

/**
 * Fails when `port` is already taken. Without `host` it checks every interface, which is what a
 * server that cannot bind to loopback alone (DynamoDB Local) will need.
 * @param {{ port: number, host?: string, label: string, envVar: string }} target
 * @returns {Promise<void>}
 */
async function assertPortFree(target) {
  const probe = net.createServer();
  await listen(probe, target);
  await new Promise((resolve) => probe.close(resolve));
}

/** How long another process's reservation of a port holds (it binds within seconds). */
const RESERVATION_MS = 10 * 60 * 1000;

/**
 * The lowest port the kernel may give an outgoing connection as its source port. A port picked
 * in that range can be taken by any client socket between the pick and the server's bind (seen:
 * EADDRINUSE on a test stack's Lambda port while the suite had hundreds of connections open), so
 * picks stay below it.
 * @returns {number}
 */
function ephemeralLow() {
  try {
    const low = Number(
      fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    // A range starting this low leaves too few ports below it: assume the usual one.
    if (Number.isInteger(low) && low > 12000) return low;
  } catch {
    // Not Linux: fall through to the range IANA leaves to ephemeral ports.
  }
  return 32768;
}

/**
 * Reserves `port` across processes (test shards start their stacks at the same moment) with a
 * file created exclusively; a reservation older than RESERVATION_MS is stale and taken over.
 * @param {number} port
 * @returns {boolean}
 */
function reserve(port) {
  const dir = path.join(os.tmpdir(), 'connector-suite-ports');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, String(port));
  try {
    fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    try {
      if (Date.now() - fs.statSync(file).mtimeMs < RESERVATION_MS) return false;
      fs.writeFileSync(file, String(process.pid));
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Whether nothing listens on `port`, on loopback and on every interface (DynamoDB Local binds
 * to all of them).
 * @param {number} port
 * @returns {Promise<boolean>}
 */
async function isFree(port) {
  const target = { port, label: 'picked port', envVar: 'none' };
  try {
    await assertPortFree({ ...target, host: LOOPBACK });
    await assertPortFree(target);
    return true;
  } catch {
    return false;
  }
}

/**
 * A loopback port that is free now and stays free for the caller: below the kernel's range for
 * outgoing connections' source ports, and reserved for a few minutes against every process, this
 * one included (so it is never handed out twice).
 * @returns {Promise<number>}
 */
async function pickFreePort() {
  const low = 10000;
  const high = ephemeralLow() - 1;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if ((await isFree(port)) && reserve(port)) return port;
  }
  throw new Error(`No free loopback port found from ${low} to ${high} after 200 tries`);
}

/**
 * Closes a server now, long-polls included.
 * @param {import('node:http').Server} server
 * @returns {Promise<void>}
 */
function closeServer(server) {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

module.exports = {
  closeServer,
  LOOPBACK,
  LOCAL_PORTS,
  readLocalPorts,
  listen,
  assertPortFree,
  pickFreePort,
  reserve,
};
