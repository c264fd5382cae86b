const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { LOCAL_REGION, localTopology } = require('./cloudformation-local');
const { createTables } = require('./dynamodb-tables');
const { assertJava, startDynamoDbLocal } = require('./dynamodb-local');
const { startEmailSandbox } = require('./email-sandbox');
const { startWorkflowSandbox } = require('./workflow-sandbox');
const { LOOPBACK } = require('./ports');
const { readSecretSeed, seededSecretStore } = require('./secret-store');
const { startSecretsManagerServer } = require('./secrets-manager-server');
const { startSqsServer } = require('./sqs-server');

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
 *   log: { info: (m: string) => void, warn: (m: string) => void, debug: (m: string) => void } }} options
 * @returns {Promise<LocalStack>}
 */
async function startLocalStack({ resources, stackName, ports, secretsFile, log }) {
  // Everything that can fail without starting anything is checked first.
  const topology = topologyFor(resources, { sqsPort: ports.sqs, stackName, warn: log.warn });
  const seed = readSecretSeed(secretsFile, log.warn);
  assertJava();

  /** @type {Array<() => Promise<void>>} */
  const stops = [];
  const stop = async () => {
    for (const stopOne of stops.splice(0).reverse()) {
      await stopOne().catch((error) => log.warn(`Stopping a local server failed: ${error}`));
    }
  };
  try {
    const sqs = await startSqsServer({ port: ports.sqs, queues: topology.queues });
    stops.push(sqs.close);
    const secrets = await startSecretsManagerServer({
      port: ports.secretsManager,
      store: seededSecretStore(seed),
    });
    stops.push(secrets.close);
    const emailSandbox = await startEmailSandbox({
      port: ports.emailSandbox,
      token: emailProviderToken(seed, log.warn),
      log: log.debug,
    });
    stops.push(emailSandbox.close);
    const workflowSandbox = await startWorkflowSandbox({
      port: ports.workflowSandbox,
      token: seededToken(seed, 'providers/workflow', 'the workflow sandbox', log.warn),
      log: log.debug,
    });
    stops.push(workflowSandbox.close);
    const dynamodb = await startDynamoDbLocal({
      port: ports.dynamodb,
      log: (line) => log.debug(`[dynamodb-local] ${line}`),
      warn: log.warn,
    });
    stops.push(dynamodb.stop);

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

module.exports = { startLocalStack, topologyFor };
