const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { LOCAL_REGION, localTopology } = require('./cloudformation-local');
const { createTables } = require('../dynamodb/tables');
const { startDynamoDbLocal } = require('../dynamodb/dynamodb-local');
const { startEmailSandbox } = require('../sandboxes/email-sandbox');
const { startWorkflowSandbox } = require('../sandboxes/workflow-sandbox');
const { LOOPBACK } = require('./ports');
const { readSecretSeed, seededSecretStore } = require('../secrets/secret-store');
const { startSecretsManagerServer } = require('../secrets/secrets-manager-server');
const { startSqsServer } = require('../sqs/server');

/**
 * @typedef {object} LocalStack
 * @property {import('./cloudformation-local').LocalTopology} topology
 * @property {{ sqs: string, dynamodb: string, secretsManager: string, emailSandbox: string, workflowSandbox: string }} endpoints
 * @property {number} dynamoDbPid
 * @property {string[]} secretNames
 * @property {() => Promise<void>} stop stops every server and child process it started
 */

/**
 * The local view of the resources, with URLs for the SQS port (no server needed to compute it).
 * @param {Record<string, any> | undefined} resources
 * @param {{ sqsPort: number, stackName: string, warn?: (message: string) => void }} options
 */
function topologyFor(resources, { sqsPort, stackName, warn }) {
  return localTopology(resources, {
    sqsEndpoint: `http://${LOOPBACK}:${sqsPort}`,
    stackName,
    warn,
  });
}

/**
 * Starts the SQS emulator, DynamoDB Local and the Secrets Manager endpoint, creates every queue and
 * table of `resources`, and seeds the secrets. On any failure, what was started is stopped again.
 * @param {{ resources: Record<string, any> | undefined, stackName: string,
 *   ports: { sqs: number, dynamodb: number, secretsManager: number, emailSandbox: number, workflowSandbox: number },
 *   secretsFile: string,
 *   log: { info: (m: string) => void, warn: (m: string) => void, debug: (m: string) => void },
 *   dynamodbStarting?: Promise<DynamoDbLocalServer> }} options `dynamodbStarting`: DynamoDB Local
 *   already starting (startDynamoDbLocalEarly); the stack then owns it and stops it with the rest
 * @returns {Promise<LocalStack>}
 */
async function startLocalStack({
  resources,
  stackName,
  ports,
  secretsFile,
  log,
  dynamodbStarting,
}) {
  // Everything that can fail without starting anything is checked first.
  const topology = topologyFor(resources, { sqsPort: ports.sqs, stackName, warn: log.warn });
  const seed = readSecretSeed(secretsFile, log.warn);

  /** @type {Array<() => Promise<void>>} */
  const stops = [];
  const stop = async () => {
    for (const stopOne of stops.splice(0).reverse()) {
      await stopOne().catch((error) => log.warn(`Stopping a local server failed: ${error}`));
    }
  };
  /**
   * Starts one server and remembers how to stop it, whatever its siblings do.
   * @template {{ close?: () => Promise<void>, stop?: () => Promise<void> }} T
   * @param {Promise<T>} starting
   * @returns {Promise<T>}
   */
  const started = async (starting) => {
    const server = await starting;
    const stopIt = server.close ?? server.stop;
    if (stopIt) stops.push(stopIt);
    return server;
  };
  try {
    // Side by side: DynamoDB Local's JVM takes the longest to answer, the others start meanwhile.
    const [sqs, secrets, emailSandbox, workflowSandbox, dynamodb] = await settleAll([
      started(startSqsServer({ port: ports.sqs, queues: topology.queues })),
      started(
        startSecretsManagerServer({ port: ports.secretsManager, store: seededSecretStore(seed) }),
      ),
      started(
        startEmailSandbox({
          port: ports.emailSandbox,
          token: emailProviderToken(seed, log.warn),
          log: log.debug,
        }),
      ),
      started(
        startWorkflowSandbox({
          port: ports.workflowSandbox,
          token: seededToken(seed, 'providers/workflow', 'the workflow sandbox', log.warn),
          log: log.debug,
        }),
      ),
      started(dynamodbStarting ?? startDynamoDbLocalEarly({ port: ports.dynamodb, log })),
    ]);

    const client = new DynamoDBClient({
      endpoint: dynamodb.endpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: { connectionTimeout: 1000, requestTimeout: 10_000 },
    });
    try {
      await createTables(client, topology.tables);
    } finally {
      client.destroy();
    }

    return {
      topology,
      endpoints: {
        sqs: sqs.endpoint,
        dynamodb: dynamodb.endpoint,
        secretsManager: secrets.endpoint,
        emailSandbox: emailSandbox.url,
        workflowSandbox: workflowSandbox.url,
      },
      dynamoDbPid: dynamodb.pid,
      secretNames: Object.keys(seed),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * @typedef {Awaited<ReturnType<typeof startDynamoDbLocal>>} DynamoDbLocalServer
 */

/**
 * Starts DynamoDB Local on its own, ahead of the rest of the stack: its JVM takes the longest of the
 * local servers to answer, so `npm run dev` starts it while the framework is still loading (see the
 * plugin's constructor) and hands it to startLocalStack, which then owns it.
 * @param {{ port: number, log: { warn: (m: string) => void, debug: (m: string) => void } }} options
 * @returns {Promise<DynamoDbLocalServer>}
 */
function startDynamoDbLocalEarly({ port, log }) {
  return startDynamoDbLocal({
    port,
    log: (line) => log.debug(`[dynamodb-local] ${line}`),
    warn: log.warn,
  });
}

/**
 * Like Promise.all, but waits for every promise to settle before rejecting with the first failure, so
 * no server is still starting (and left running) when the caller stops the ones that started.
 * @template {readonly unknown[]} T
 * @param {T} promises
 * @returns {Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }>}
 */
async function settleAll(promises) {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return /** @type {any} */ (
    results.map((result) => /** @type {PromiseFulfilledResult<unknown>} */ (result).value)
  );
}

/**
 * The URLs the local servers answer on for `ports`: known before they start, so the functions'
 * environment can be set while the servers come up.
 * @param {{ sqs: number, dynamodb: number, secretsManager: number, emailSandbox: number, workflowSandbox: number }} ports
 * @returns {LocalStack['endpoints']}
 */
function localEndpoints(ports) {
  const url = (/** @type {number} */ port) => `http://${LOOPBACK}:${port}`;
  return {
    sqs: url(ports.sqs),
    dynamodb: url(ports.dynamodb),
    secretsManager: url(ports.secretsManager),
    emailSandbox: url(ports.emailSandbox),
    workflowSandbox: url(ports.workflowSandbox),
  };
}

/**
 * The token the sandbox provider accepts: the seeded `<prefix>/providers/email` secret's `token`, so
 * the batcher's token from Secrets Manager works out of the box.
 * @param {Record<string, string>} seed
 * @param {(message: string) => void} warn
 * @returns {string}
 */
function emailProviderToken(seed, warn) {
  return seededToken(seed, 'providers/email', 'the email sandbox', warn);
}

/**
 * The `token` of the seeded `<prefix>/<suffix>` secret, so a sandbox accepts what the functions read.
 * @param {Record<string, string>} seed
 * @param {string} suffix
 * @param {string} label
 * @param {(message: string) => void} warn
 * @returns {string}
 */
function seededToken(seed, suffix, label, warn) {
  const name = Object.keys(seed).find((key) => key.endsWith(`/${suffix}`));
  try {
    const token = name ? JSON.parse(seed[name] ?? 'null')?.token : undefined;
    if (typeof token === 'string' && token !== '') return token;
  } catch {
    // Reported below.
  }
  warn(`No "<prefix>/${suffix}" secret with a "token" in the seed: ${label} refuses every call.`);
  return `unset-${Date.now()}`;
}

module.exports = {
  startDynamoDbLocalEarly,
  startLocalStack,
  topologyFor,
  localEndpoints,
};
