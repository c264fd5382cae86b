const http = require('node:http');
const { createRequestHandler } = require('local-aws-sqs');
const { LOCAL_ACCOUNT_ID, LOCAL_REGION, redrivePolicyOf } = require('./cloudformation-local');
const { LocalStackError } = require('./local-stack-error');
const { closeServer, listen, LOOPBACK } = require('./ports');

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
 * @param {import('./cloudformation-local').LocalQueue} queue
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
 * Starts the SQS emulator (local-aws-sqs) on loopback with the given queues already created, dead-letter
 * queues first. Its own `createSqsServer` cannot report a port in use, so the HTTP server is ours.
 * @param {{ port: number, queues: import('./cloudformation-local').LocalQueue[] }} options
 * @returns {Promise<{ endpoint: string, close: () => Promise<void> }>}
 */
async function startSqsServer({ port, queues }) {
  let handler;
  try {
    ({ requestHandler: handler } = createRequestHandler({
      port,
      hostname: LOOPBACK,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT_ID,
      // Tests delete and recreate their queues; AWS's 60 s wait would only slow them down.
      emulateQueueCreationLifecycle: false,
      queues: queues.map(createQueueInput),
    }));
  } catch (error) {
    const detail = /** @type {Error} */ (error).message ?? String(error);
    throw new LocalStackError(`The SQS emulator rejected a queue from resources/: ${detail}`, {
      cause: error,
    });
  }
  const server = http.createServer(handler);
  await listen(server, { port, host: LOOPBACK, label: 'SQS emulator', envVar: 'LOCAL_SQS_PORT' });
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    close: () => closeServer(server),
  };
}

module.exports = { startSqsServer, createQueueInput };
