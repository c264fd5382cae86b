// SDK clients for the benchmarks, pointed at the local servers, each counting the HTTP requests it
// really sends (one per attempt), per operation.

const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { SecretsManagerClient } = require('@aws-sdk/client-secrets-manager');
const { SQSClient } = require('@aws-sdk/client-sqs');

/**
 * Counts of HTTP requests, by service and by `Service.Operation`, and the milliseconds spent in
 * them (from sending to the parsed answer) by service.
 * @typedef {{ byService: Record<string, number>, byOperation: Record<string, number>,
 *   msByService: Record<string, number> }} RequestCounts
 */

/** @returns {RequestCounts} */
function emptyCounts() {
  return { byService: {}, byOperation: {}, msByService: {} };
}

/**
 * Adds a middleware that counts every HTTP request the client sends. It sits in `finalizeRequest`
 * at low priority, inside the retry middleware, so each attempt counts once.
 * @param {{ middlewareStack: { add: Function } }} client
 * @param {string} service
 * @param {RequestCounts} counts
 */
function countRequests(client, service, counts) {
  client.middlewareStack.add(
    (/** @type {Function} */ next, /** @type {{ commandName?: string }} */ context) =>
      async (/** @type {unknown} */ args) => {
        const operation = `${service}.${(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
        counts.byService[service] = (counts.byService[service] ?? 0) + 1;
        counts.byOperation[operation] = (counts.byOperation[operation] ?? 0) + 1;
        const started = performance.now();
        try {
          return await next(args);
        } finally {
          counts.msByService[service] =
            (counts.msByService[service] ?? 0) + performance.now() - started;
        }
      },
    { step: 'finalizeRequest', priority: 'low', name: 'benchRequestCounter' },
  );
}

/** DynamoDB operations that write (each costs write capacity), as opposed to reads. */
const DYNAMODB_WRITES = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);
/** DynamoDB operations that read. */
const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

/**
 * DynamoDB writes and reads among counted operations (`DynamoDB.PutItem` and so on).
 * @param {Record<string, number>} byOperation
 * @returns {{ writes: number, reads: number }}
 */
function dynamoDbWritesAndReads(byOperation) {
  let writes = 0;
  let reads = 0;
  for (const [operation, count] of Object.entries(byOperation)) {
    const [service, name = ''] = operation.split('.');
    if (service !== 'DynamoDB') continue;
    if (DYNAMODB_WRITES.has(name)) writes += count;
    else if (DYNAMODB_READS.has(name)) reads += count;
  }
  return { writes, reads };
}

/**
 * Every DynamoDB request among counted operations (round trips: a transaction or batch counts once).
 * @param {Record<string, number>} byOperation
 */
function dynamoDbRequestsOf(byOperation) {
  return Object.entries(byOperation)
    .filter(([operation]) => operation.startsWith('DynamoDB.'))
    .reduce((sum, [, count]) => sum + count, 0);
}

/**
 * DynamoDB requests by operation, most first: `TransactWriteItems 21, UpdateItem 12`.
 * @param {Record<string, number>} byOperation
 */
function dynamoDbBreakdown(byOperation) {
  return Object.entries(byOperation)
    .filter(([operation]) => operation.startsWith('DynamoDB.'))
    .sort(([, a], [, b]) => b - a)
    .map(([operation, count]) => `${operation.slice('DynamoDB.'.length)} ${count}`)
    .join(', ');
}

/**
 * One SQS, DynamoDB and Secrets Manager client against the local stack, sharing one counter.
 * By default one attempt with bounded timeouts; `options` (say, the suite's own client options)
 * replaces those settings.
 * @param {{ sqs: string, dynamodb: string, secretsManager: string, region: string }} state
 * @param {{ maxAttempts?: number, requestHandler?: Record<string, unknown> }} [options]
 */
function countingClients(state, options = {}) {
  const counts = emptyCounts();
  const config = (/** @type {string} */ endpoint) => ({
    endpoint,
    region: state.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 3000 },
    ...options,
  });
  const sqs = new SQSClient(config(state.sqs));
  const dynamoDb = new DynamoDBClient(config(state.dynamodb));
  const secretsManager = new SecretsManagerClient(config(state.secretsManager));
  countRequests(sqs, 'SQS', counts);
  countRequests(dynamoDb, 'DynamoDB', counts);
  countRequests(secretsManager, 'SecretsManager', counts);
  return {
    sqs,
    dynamoDb,
    secretsManager,
    counts,
    /** Takes the counts so far and starts again from zero. */
    takeCounts() {
      const taken = {
        byService: { ...counts.byService },
        byOperation: { ...counts.byOperation },
        msByService: { ...counts.msByService },
      };
      counts.byService = {};
      counts.byOperation = {};
      counts.msByService = {};
      return taken;
    },
    destroy() {
      sqs.destroy();
      dynamoDb.destroy();
      secretsManager.destroy();
    },
  };
}

module.exports = {
  countingClients,
  countRequests,
  dynamoDbBreakdown,
  dynamoDbRequestsOf,
  dynamoDbWritesAndReads,
};
