const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { CreateQueueCommand, SQSClient } = require('@aws-sdk/client-sqs');
const { LOCAL_REGION, redrivePolicyOf } = require('../stack/cloudformation-local');
const { LocalStackError } = require('../stack/local-stack-error');
const { listen, LOOPBACK } = require('../stack/ports');
const {
  receiveOnlyForConnectedClients,
  rejectMalformedReceiptHandles,
} = require('./emulator-hooks');

/** Queue properties the emulator understands, copied from CloudFormation as strings. */
const QUEUE_ATTRIBUTES = [
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'DelaySeconds',
  'FifoQueue',
  'FifoThroughputLimit',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'SqsManagedSseEnabled',
  'VisibilityTimeout',
];

/**
 * CreateQueue input for the emulator from a queue of the local topology.
 * @param {import('../stack/cloudformation-local').LocalQueue} queue
 * @returns {{ QueueName: string, Attributes: Record<string, string> }}
 */
function createQueueInput(queue) {
  /** @type {Record<string, string>} */
  const attributes = {};
  for (const name of QUEUE_ATTRIBUTES) {
    const value = queue.properties[name];
    if (value !== undefined && value !== null) attributes[name] = String(value);
  }
  const redrive = redrivePolicyOf(queue);
  if (redrive) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: redrive.deadLetterTargetArn,
      maxReceiveCount: Number(redrive.maxReceiveCount),
    });
  }
  return { QueueName: queue.name, Attributes: attributes };
}

/**
 * The fauxqs package folder. Its package exports only `import` its entry point, so neither
 * `require.resolve` nor a subpath import can name its files: the folder is found along Node's own
 * lookup paths instead.
 * @returns {string}
 */
function fauxqsDirectory() {
  for (const directory of require.resolve.paths('fauxqs') ?? []) {
    const candidate = path.join(directory, 'fauxqs');
    if (fs.existsSync(path.join(candidate, 'dist', 'sqs', 'sqsStore.js'))) return candidate;
  }
  throw new LocalStackError('The SQS emulator (npm package fauxqs) is not installed: run npm ci.');
}

/**
 * Imports an ES module, dropping Node's one-time ExperimentalWarning about node:sqlite that fauxqs
 * triggers by loading it for a persistence option the local stack does not use.
 * @param {string} file
 * @returns {Promise<any>}
 */
async function importWithoutSqliteWarning(file) {
  const emitWarning = process.emitWarning;
  /** @type {any} */
  const filtered = (/** @type {any} */ warning, /** @type {any[]} */ ...rest) => {
    const text = typeof warning === 'string' ? warning : warning?.message;
    if (typeof text === 'string' && text.startsWith('SQLite is an experimental feature')) return;
    emitWarning.call(process, warning, ...rest);
  };
  process.emitWarning = filtered;
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    process.emitWarning = emitWarning;
  }
}

/**
 * Builds the fauxqs app (SQS only is used) with queue URLs on the address clients call, and the
 * corrections of sqs-emulator-hooks.js.
 * fauxqs names queues `sqs.<region>.localhost`, which does not resolve everywhere and would send
 * the SDK (it calls the host of a QueueUrl) elsewhere; a store without a host takes the request's.
 * @returns {Promise<import('fastify').FastifyInstance>}
 */
async function buildEmulator() {
  const directory = fauxqsDirectory();
  const { buildApp } = await importWithoutSqliteWarning(path.join(directory, 'dist', 'app.js'));
  const { SqsStore } = await importWithoutSqliteWarning(
    path.join(directory, 'dist', 'sqs', 'sqsStore.js'),
  );
  const sqsStore = new SqsStore();
  sqsStore.host = '';
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION, stores: { sqsStore } });
  receiveOnlyForConnectedClients(app, sqsStore);
  rejectMalformedReceiptHandles(app);
  return app;
}

/**
 * Creates the queues through the emulator's own API, dead-letter queues first, so it validates
 * their attributes as SQS would.
 * @param {string} endpoint
 * @param {import('../stack/cloudformation-local').LocalQueue[]} queues
 */
async function createQueues(endpoint, queues) {
  const client = new SQSClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
  });
  try {
    for (const queue of queues) {
      try {
        await client.send(new CreateQueueCommand(createQueueInput(queue)));
      } catch (error) {
        const detail = /** @type {Error} */ (error).message ?? String(error);
        throw new LocalStackError(`The SQS emulator rejected queue ${queue.name}: ${detail}`, {
          cause: error,
        });
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts the SQS emulator (fauxqs, in memory) on loopback with the given queues already created.
 * fauxqs's own `startFauxqs` listens on every interface, so its app is started here on 127.0.0.1.
 * @param {{ port: number, queues: import('../stack/cloudformation-local').LocalQueue[] }} options
 * @returns {Promise<{ endpoint: string, close: () => Promise<void> }>}
 */
async function startSqsServer({ port, queues }) {
  const app = await buildEmulator();
  // Closing the app ends long polls at once (fauxqs cancels its waiters and drops connections).
  const close = async () => {
    await app.close();
  };
  await app.ready();
  try {
    await listen(app.server, {
      port,
      host: LOOPBACK,
      label: 'SQS emulator',
      envVar: 'LOCAL_SQS_PORT',
    });
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  const endpoint = `http://${LOOPBACK}:${port}`;
  try {
    await createQueues(endpoint, queues);
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, close };
}

module.exports = { startSqsServer, createQueueInput };
