// The ingest variants of explore-ingest.js: the real ingest's parts wired again, each variant
// leaving out or replacing one layer, so its cost can be read against the full ingest.

const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { Logger } = require('@aws-lambda-powertools/logger');
const {
  DeleteItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} = require('@aws-sdk/client-dynamodb');
const { makeCrashSafeFloor } = require('./floors');
const { lambdaContext } = require('../lib/requests');

const root = path.resolve(__dirname, '../..');

/** One set of counting clients per variant, so none shares a connection pool with another. */
const CLIENT_SETS = /** @type {const} */ ([
  'admin',
  'full',
  'noHttp',
  'noDeadline',
  'noCeiling',
  'plain',
  'bare',
  'floor',
]);
/** @typedef {Record<(typeof CLIENT_SETS)[number], ReturnType<typeof import('../lib/aws-clients').countingClients>>} ClientSets */

/** Bundles the ingest's parts so variants can be wired from them, with a source map. */
async function buildParts(/** @type {string} */ outDir) {
  const outfile = path.join(outDir, 'ingest-parts.js');
  await require('esbuild').build({
    stdin: {
      contents: [
        "export { default as profiles } from './config/sources.json';",
        "export { loadIngestConfig } from './functions/webhook-ingest/config';",
        "export { buildWebhookIngest } from './functions/webhook-ingest/wiring';",
        "export { makeWebhookIngest } from './functions/webhook-ingest/ingest';",
        "export { powertoolsDedupe } from './functions/webhook-ingest/dedupe-store';",
        "export { loadSourceCatalog } from './shared/sources/catalog';",
        "export { bindToDeadline, runWithinDeadline } from './shared/clients/deadline';",
        "export { loadTimeoutSettings, sdkClientOptions } from './shared/clients/options';",
        "export { httpFunction } from './shared/http/http-function';",
        "export { FixedWindowCeiling } from './shared/rate-limit/fixed-window-ceiling';",
        "export { SecretCache } from './shared/secrets/secret-cache';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'explore-ingest-entry.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    sourcemap: true,
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * A dedupe store with the crash-safe floor's three DynamoDB requests and nothing else: what
 * Powertools idempotency costs beyond them.
 * @param {import('@aws-sdk/client-dynamodb').DynamoDBClient} client
 * @param {string} table
 */
function plainDedupe(client, table) {
  return {
    async once(/** @type {string} */ key, /** @type {() => Promise<any>} */ work) {
      const Key = { id: { S: `explore#${key}` } };
      const now = Date.now();
      const expiration = { N: String(Math.floor(now / 1000) + 4 * 24 * 3600) };
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...Key, expiration, status: { S: 'INPROGRESS' } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
      let result;
      try {
        result = await work();
      } catch (error) {
        await client.send(new DeleteItemCommand({ TableName: table, Key }));
        throw error;
      }
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key,
          UpdateExpression: 'SET #s = :c, #d = :d',
          ExpressionAttributeNames: { '#s': 'status', '#d': 'data' },
          ExpressionAttributeValues: {
            ':c': { S: 'COMPLETED' },
            ':d': { S: JSON.stringify(result) },
          },
        }),
      );
      return { result, performed: true };
    },
  };
}

/**
 * The variants, each wired from the same parts with one difference from `full`.
 * @param {any} parts
 * @param {any} config
 * @param {ClientSets} clients
 * @param {any} timeouts
 * @param {{ table: string, queueUrl: string, secret: string }} floor
 */
function wireVariants(parts, config, clients, timeouts, floor) {
  const logger = new Logger({ logLevel: 'SILENT' });
  /**
   * @param {ReturnType<typeof import('../lib/aws-clients').countingClients>} c
   * @param {{ http?: boolean, deadline?: boolean, ceiling?: boolean, powertools?: boolean }} use
   */
  const wire = (c, use) => {
    const bind = use.deadline === false ? (/** @type {any} */ x) => x : parts.bindToDeadline;
    const dynamoDb = bind(c.dynamoDb);
    const dedupe =
      use.powertools === false
        ? { store: plainDedupe(dynamoDb, config.idempotencyTable), register: () => undefined }
        : parts.powertoolsDedupe(
            {
              tableName: config.idempotencyTable,
              expiresAfterSeconds: config.dedupeSeconds,
              inProgressRetryAfterSeconds: config.inProgressRetryAfterSeconds,
            },
            dynamoDb,
          );
    const ingest = parts.makeWebhookIngest({
      catalog: parts.loadSourceCatalog(parts.profiles, config.sourcesProfile, config.secretsPrefix),
      secrets: new parts.SecretCache({
        client: bind(c.secretsManager),
        maxAgeSeconds: config.secretsCacheSeconds,
        minRefreshIntervalSeconds: config.secretsRefreshSeconds,
        now: Date.now,
      }),
      ceiling:
        use.ceiling === false
          ? { take: async () => ({ allowed: true }) }
          : new parts.FixedWindowCeiling({
              client: dynamoDb,
              tableName: config.stateTable,
              shards: config.abuseCeilingShards,
              now: Date.now,
            }),
      sqs: bind(c.sqs),
      dedupe: dedupe.store,
      queues: {
        emailJobs: config.emailJobsQueueUrl,
        emailJobsDlq: config.emailJobsDlqUrl,
        workflowJobs: config.workflowJobsQueueUrl,
      },
      limits: {
        maxBodyBytes: config.maxBodyBytes,
        maxMessageBytes: config.maxMessageBytes,
        maxJsonDepth: config.maxJsonDepth,
      },
      nowSeconds: () => Math.floor(Date.now() / 1000),
      logger,
    });
    const run = (/** @type {any} */ event, /** @type {any} */ context) => {
      const once = () => {
        dedupe.register(context);
        return ingest(event, context);
      };
      return use.deadline === false ? once() : parts.runWithinDeadline(timeouts, once);
    };
    const handler =
      use.http === false
        ? (/** @type {any} */ event, /** @type {any} */ context) =>
            run(event, { ...context, correlationId: randomUUID() })
        : parts.httpFunction(run, { logger });
    return (/** @type {any} */ event) => handler(event, lambdaContext('webhook-ingest'));
  };
  return {
    full: wire(clients.full, {}),
    'no HTTP layer (middy)': wire(clients.noHttp, { http: false }),
    'no deadline (ALS, AbortSignal)': wire(clients.noDeadline, { deadline: false }),
    'no abuse ceiling write': wire(clients.noCeiling, { ceiling: false }),
    'plain dedupe, not Powertools': wire(clients.plain, { powertools: false }),
    'none of the four': wire(clients.bare, {
      http: false,
      deadline: false,
      ceiling: false,
      powertools: false,
    }),
    'crash-safe floor': makeCrashSafeFloor({
      ...floor,
      toleranceSeconds: 300,
      dynamoDb: clients.floor.dynamoDb,
      sqs: clients.floor.sqs,
    }),
  };
}

module.exports = { CLIENT_SETS, buildParts, wireVariants };
