// Benchmark 1: the real ingest built in this process (as test/helpers/ingest-harness.ts builds it)
// against a floor that does only the unavoidable work, both on the same local servers, sequentially
// and interleaved request by request.

const { createHmac, randomUUID, timingSafeEqual } = require('node:crypto');
const path = require('node:path');
const { PutItemCommand } = require('@aws-sdk/client-dynamodb');
const {
  CreateQueueCommand,
  DeleteQueueCommand,
  SendMessageCommand,
} = require('@aws-sdk/client-sqs');
const { countingClients } = require('./lib/aws-clients');
const { httpEvent, lambdaContext, signedRequests } = require('./lib/requests');
const { summarize } = require('./lib/stats');

const root = path.resolve(__dirname, '..');

/**
 * Bundles the ingest wiring (TypeScript) to CommonJS, with packages left to node_modules so the
 * SDK classes are the ones this process uses.
 * @param {string} outDir a directory below which `node_modules` resolves to the repo's
 */
async function buildIngestModule(outDir) {
  const esbuild = require('esbuild');
  const outfile = path.join(outDir, 'ingest-in-process.js');
  await esbuild.build({
    stdin: {
      contents: [
        "export { loadIngestConfig } from './functions/webhook-ingest/config';",
        "export { buildWebhookIngest } from './functions/webhook-ingest/wiring';",
      ].join('\n'),
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'bench-ingest-entry.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * The floor: verify the Stripe HMAC, parse the JSON, one conditional PutItem on the idempotency
 * table, one SendMessage. No secret fetch (ingest's is cached too), no logging.
 * @param {{ secret: string, toleranceSeconds: number, table: string, queueUrl: string,
 *   dynamoDb: import('@aws-sdk/client-dynamodb').DynamoDBClient,
 *   sqs: import('@aws-sdk/client-sqs').SQSClient }} deps
 */
function makeFloor(deps) {
  const secret = Buffer.from(deps.secret, 'utf8');
  return async function floor(/** @type {ReturnType<typeof httpEvent>} */ event) {
    const headers = event.headers;
    const header = headers['Stripe-Signature'] ?? headers['stripe-signature'] ?? '';
    let timestamp = '';
    let given = '';
    for (const part of header.split(',')) {
      if (part.startsWith('t=')) timestamp = part.slice(2);
      else if (part.startsWith('v1=') && !given) given = part.slice(3);
    }
    const expected = createHmac('sha256', secret)
      .update(`${timestamp}.`)
      .update(event.body)
      .digest();
    const actual = Buffer.from(given, 'hex');
    const age = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      return { statusCode: 401, body: '' };
    }
    if (!(age <= deps.toleranceSeconds)) return { statusCode: 401, body: '' };
    const payload = JSON.parse(event.body);
    const expiresAt = Math.floor(Date.now() / 1000) + 4 * 24 * 3600;
    try {
      await deps.dynamoDb.send(
        new PutItemCommand({
          TableName: deps.table,
          Item: {
            id: { S: `bench-floor#stripe:${payload.id}` },
            expiration: { N: String(expiresAt) },
            status: { S: 'COMPLETED' },
          },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    } catch (error) {
      if (/** @type {Error} */ (error).name === 'ConditionalCheckFailedException') {
        return { statusCode: 202, body: '' };
      }
      throw error;
    }
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.queueUrl,
        MessageBody: JSON.stringify({
          id: `stripe:${payload.id}`,
          type: payload.type,
          data: payload,
        }),
      }),
    );
    return {
      statusCode: 202,
      body: JSON.stringify({ eventId: payload.id, status: 'accepted', routes: 1 }),
    };
  };
}

/**
 * @param {{ state: any, workDir: string, requests?: number, warmup?: number,
 *   log?: (message: string) => void }} options
 */
async function runIngestVsFloor({ state, workDir, requests = 500, warmup = 50, log = () => {} }) {
  const { Logger } = require('@aws-lambda-powertools/logger');
  const modulePath = await buildIngestModule(workDir);
  const { buildWebhookIngest, loadIngestConfig } = require(modulePath);

  const admin = countingClients(state);
  const ours = countingClients(state);
  const floorClients = countingClients(state);
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  /** @type {string[]} */
  const created = [];
  const queue = async (/** @type {string} */ name) => {
    const { QueueUrl } = await admin.sqs.send(
      new CreateQueueCommand({ QueueName: `${prefix}-${name}` }),
    );
    created.push(/** @type {string} */ (QueueUrl));
    return /** @type {string} */ (QueueUrl);
  };
  try {
    const queues = {
      emailJobs: await queue('email-jobs'),
      emailJobsDlq: await queue('email-jobs-dlq'),
      workflowJobs: await queue('workflow-jobs'),
      floor: await queue('floor'),
    };
    const idempotencyTable = state.tables.IdempotencyTable.name;
    const config = loadIngestConfig({
      SOURCES_PROFILE: 'local',
      SECRETS_PREFIX: 'connector-suite/local',
      IDEMPOTENCY_TABLE: idempotencyTable,
      STATE_TABLE: state.tables.StateTable.name,
      EMAIL_JOBS_QUEUE_URL: queues.emailJobs,
      EMAIL_JOBS_DLQ_URL: queues.emailJobsDlq,
      WORKFLOW_JOBS_QUEUE_URL: queues.workflowJobs,
    });
    const ingest = buildWebhookIngest(
      config,
      { sqs: ours.sqs, dynamoDb: ours.dynamoDb, secretsManager: ours.secretsManager },
      new Logger({ logLevel: 'SILENT' }),
    );
    const stripe = signedRequests('stripe');
    const floor = makeFloor({
      secret: stripe.secret,
      toleranceSeconds: 300,
      table: idempotencyTable,
      queueUrl: queues.floor,
      dynamoDb: floorClients.dynamoDb,
      sqs: floorClients.sqs,
    });

    const sides = {
      ours: (/** @type {any} */ event) => ingest(event, lambdaContext('webhook-ingest')),
      floor: (/** @type {any} */ event) => floor(event),
    };
    /** @type {Record<'ours' | 'floor', { ms: number[], cpuMs: number[], statuses: Record<string, number> }>} */
    const results = {
      ours: { ms: [], cpuMs: [], statuses: {} },
      floor: { ms: [], cpuMs: [], statuses: {} },
    };
    const round = async (/** @type {number} */ count, /** @type {boolean} */ record) => {
      for (let index = 0; index < count; index += 1) {
        // Alternate which side goes first, so neither always follows the other's writes.
        const order = index % 2 === 0 ? ['ours', 'floor'] : ['floor', 'ours'];
        for (const side of /** @type {('ours' | 'floor')[]} */ (order)) {
          const event = httpEvent('stripe', stripe.next());
          const cpu = process.cpuUsage();
          const started = performance.now();
          const response = await sides[side](event);
          const elapsed = performance.now() - started;
          const used = process.cpuUsage(cpu);
          if (!record) continue;
          results[side].ms.push(elapsed);
          results[side].cpuMs.push((used.user + used.system) / 1000);
          const status = String(response.statusCode);
          results[side].statuses[status] = (results[side].statuses[status] ?? 0) + 1;
        }
      }
    };
    log(`  ingest in process: ${warmup} warm-up requests per side`);
    await round(warmup, false);
    ours.takeCounts();
    floorClients.takeCounts();
    log(`  ingest in process: ${requests} measured requests per side, interleaved`);
    await round(requests, true);
    const perRequest = (/** @type {Record<string, number>} */ counts) =>
      Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, value / requests]));
    const side = (/** @type {'ours' | 'floor'} */ name, /** @type {any} */ clients) => {
      const counts = clients.takeCounts();
      return {
        latencyMs: summarize(results[name].ms),
        statuses: results[name].statuses,
        // This process's CPU while the request ran: our code, the SDK, the HTTP client.
        cpuMsPerRequest: summarize(results[name].cpuMs),
        roundTripsPerRequest: perRequest(counts.byService),
        msInRoundTripsPerRequest: perRequest(counts.msByService),
        operationsPerRequest: perRequest(counts.byOperation),
      };
    };
    return { requests, warmup, ours: side('ours', ours), floor: side('floor', floorClients) };
  } finally {
    for (const url of created) {
      await admin.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    }
    for (const clients of [admin, ours, floorClients]) clients.destroy();
  }
}

module.exports = { runIngestVsFloor };
