// Benchmark 1: the real ingest built in this process (as test/helpers/ingest/ingest-harness.ts builds it)
// against two floors that do only the unavoidable work (floors.js): one conditional write, and a
// crash-safe claim / send / complete. All sides use the same local servers and the suite's client
// options, sequentially, interleaved request by request.

const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { bundleTypeScript } = require('../lib/bundle-ts');
const { CreateQueueCommand, DeleteQueueCommand } = require('@aws-sdk/client-sqs');
const { countingClients, dynamoDbWritesAndReads } = require('../lib/aws-clients');
const { makeCrashSafeFloor, makeOneWriteFloor } = require('./floors');
const { httpEvent, lambdaContext, signedRequests } = require('../lib/requests');
const { summarize } = require('../lib/stats');

/** The sides of the benchmark, in the order of the first request of a round. */
const SIDES = /** @type {const} */ (['ours', 'floor', 'crashSafe']);
/** @typedef {(typeof SIDES)[number]} Side */

/**
 * Bundles the ingest wiring (TypeScript) to CommonJS, with packages left to node_modules so the
 * SDK classes are the ones this process uses.
 * @param {string} outDir a directory below which `node_modules` resolves to the repo's
 */
async function buildIngestModule(outDir) {
  return bundleTypeScript(path.join(outDir, 'ingest-in-process.js'), [
    "export { loadIngestConfig } from './functions/webhook-ingest/config';",
    "export { buildWebhookIngest } from './functions/webhook-ingest/wiring';",
    "export { loadTimeoutSettings, sdkClientOptions } from './shared/clients/options';",
  ]);
}

/**
 * @param {{ state: any, workDir: string, requests?: number, warmup?: number,
 *   log?: (message: string) => void }} options
 */
async function runIngestVsFloor({ state, workDir, requests = 500, warmup = 50, log = () => {} }) {
  const { Logger } = require('@aws-lambda-powertools/logger');
  const modulePath = await buildIngestModule(workDir);
  const { buildWebhookIngest, loadIngestConfig, loadTimeoutSettings, sdkClientOptions } =
    require(modulePath);
  // The defaults a deployed function gets: its timeouts, and clients whose timeouts throw.
  const timeouts = loadTimeoutSettings({});
  const options = sdkClientOptions(timeouts);

  const admin = countingClients(state);
  /** @type {Record<Side, ReturnType<typeof countingClients>>} */
  const clients = {
    ours: countingClients(state, options),
    floor: countingClients(state, options),
    crashSafe: countingClients(state, options),
  };
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
      crashSafe: await queue('crash-safe-floor'),
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
      {
        sqs: clients.ours.sqs,
        dynamoDb: clients.ours.dynamoDb,
        secretsManager: clients.ours.secretsManager,
      },
      new Logger({ logLevel: 'SILENT' }),
      timeouts,
    );
    const stripe = signedRequests('stripe');
    const floorDeps = (/** @type {'floor' | 'crashSafe'} */ side) => ({
      secret: stripe.secret,
      toleranceSeconds: 300,
      table: idempotencyTable,
      queueUrl: queues[side],
      dynamoDb: clients[side].dynamoDb,
      sqs: clients[side].sqs,
    });
    const floor = makeOneWriteFloor(floorDeps('floor'));
    const crashSafe = makeCrashSafeFloor(floorDeps('crashSafe'));

    /** @type {Record<Side, (event: any) => Promise<{ statusCode?: number }>>} */
    const sides = {
      ours: (event) => ingest(event, lambdaContext('webhook-ingest')),
      floor: (event) => floor(event),
      crashSafe: (event) => crashSafe(event),
    };
    /** @type {Record<Side, { ms: number[], cpuMs: number[], statuses: Record<string, number> }>} */
    const results = {
      ours: { ms: [], cpuMs: [], statuses: {} },
      floor: { ms: [], cpuMs: [], statuses: {} },
      crashSafe: { ms: [], cpuMs: [], statuses: {} },
    };
    const round = async (/** @type {number} */ count, /** @type {boolean} */ record) => {
      for (let index = 0; index < count; index += 1) {
        // Rotate which side goes first, so none always follows another's writes.
        const shift = index % SIDES.length;
        const order = [...SIDES.slice(shift), ...SIDES.slice(0, shift)];
        for (const side of order) {
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
    for (const side of SIDES) clients[side].takeCounts();
    log(`  ingest in process: ${requests} measured requests per side, interleaved`);
    await round(requests, true);
    const perRequest = (/** @type {Record<string, number>} */ counts) =>
      Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, value / requests]));
    const summary = (/** @type {Side} */ name) => {
      const counts = clients[name].takeCounts();
      const dynamoDb = dynamoDbWritesAndReads(counts.byOperation);
      // Every request carries a fresh event, so each 202 is one accepted webhook.
      const accepted = results[name].statuses['202'] ?? 0;
      return {
        latencyMs: summarize(results[name].ms),
        statuses: results[name].statuses,
        // This process's CPU while the request ran: our code, the SDK, the HTTP client.
        cpuMsPerRequest: summarize(results[name].cpuMs),
        roundTripsPerRequest: perRequest(counts.byService),
        msInRoundTripsPerRequest: perRequest(counts.msByService),
        operationsPerRequest: perRequest(counts.byOperation),
        dynamoDbPerAccepted: {
          writes: accepted ? dynamoDb.writes / accepted : Number.NaN,
          reads: accepted ? dynamoDb.reads / accepted : Number.NaN,
        },
      };
    };
    return {
      requests,
      warmup,
      ours: summary('ours'),
      floor: summary('floor'),
      crashSafe: summary('crashSafe'),
    };
  } finally {
    for (const url of created) {
      await admin.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    }
    for (const side of [admin, ...Object.values(clients)]) side.destroy();
  }
}

module.exports = { runIngestVsFloor };
