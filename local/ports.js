const net = require('node:net');
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

/**
 * A port that is free on the loopback interface right now (the OS picks it).
 * @returns {Promise<number>}
 */
async function pickFreePort() {
  const probe = net.createServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, LOOPBACK, () => resolve(undefined));
  });
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('No port was assigned');
  return address.port;
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
};
