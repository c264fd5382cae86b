// `node bench/ingest/explore-ingest.js [requests]`: not part of `npm run bench`. Where the real ingest's
// time goes beyond the crash-safe floor: variants of the ingest that each leave out or replace one
// layer (the HTTP layer, the per-request deadline, the abuse ceiling, Powertools idempotency), run
// interleaved against one local stack, and a CPU profile of the full ingest by package.

const { Session } = require('node:inspector/promises');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { CreateQueueCommand, DeleteQueueCommand } = require('@aws-sdk/client-sqs');
const { countingClients } = require('../lib/aws-clients');
const { CLIENT_SETS, buildParts, wireVariants } = require('./ingest-variants');
const {
  removeBenchService,
  startLocalStack,
  stopLocalStack,
  writeBenchService,
} = require('../lib/local-stack');
const { selfTimeByOwner } = require('../lib/profile');
const { httpEvent, signedRequests } = require('../lib/requests');
const { fixed, ratio, summarize, table } = require('../lib/stats');

/** @typedef {import('./ingest-variants').ClientSets} ClientSets */

async function main() {
  const requests = Number(process.argv[2] ?? 300);
  const serviceDir = writeBenchService();
  const workDir = path.join(serviceDir, 'bench-build');
  fs.mkdirSync(workDir);
  /** @type {string[]} */
  const created = [];
  /** @type {ReturnType<typeof countingClients>[]} */
  const all = [];
  try {
    const state = await startLocalStack(serviceDir);
    const parts = require(await buildParts(workDir));
    const timeouts = parts.loadTimeoutSettings({});
    const options = parts.sdkClientOptions(timeouts);
    const clients = /** @type {ClientSets} */ (
      Object.fromEntries(CLIENT_SETS.map((name) => [name, countingClients(state, options)]))
    );
    all.push(...Object.values(clients));
    const admin = clients.admin;
    const prefix = `explore-${randomUUID().slice(0, 8)}`;
    const queue = async (/** @type {string} */ name) => {
      const { QueueUrl } = await admin.sqs.send(
        new CreateQueueCommand({ QueueName: `${prefix}-${name}` }),
      );
      created.push(/** @type {string} */ (QueueUrl));
      return /** @type {string} */ (QueueUrl);
    };
    const config = parts.loadIngestConfig({
      SOURCES_PROFILE: 'local',
      SECRETS_PREFIX: 'connector-suite/local',
      IDEMPOTENCY_TABLE: state.tables.IdempotencyTable.name,
      STATE_TABLE: state.tables.StateTable.name,
      EMAIL_JOBS_QUEUE_URL: await queue('email-jobs'),
      EMAIL_JOBS_DLQ_URL: await queue('email-jobs-dlq'),
      WORKFLOW_JOBS_QUEUE_URL: await queue('workflow-jobs'),
    });
    const stripe = signedRequests('stripe');
    const floor = {
      table: config.idempotencyTable,
      queueUrl: await queue('floor'),
      secret: stripe.secret,
    };
    const variants = wireVariants(parts, config, clients, timeouts, floor);
    const labels = Object.keys(variants);
    /** @type {Record<string, { ms: number[], cpuMs: number[], statuses: Set<string> }>} */
    const samples = Object.fromEntries(
      labels.map((label) => [label, { ms: [], cpuMs: [], statuses: new Set() }]),
    );
    for (let index = 0; index < requests + 30; index += 1) {
      const shift = index % labels.length;
      for (const label of [...labels.slice(shift), ...labels.slice(0, shift)]) {
        const event = httpEvent('stripe', stripe.next());
        const cpu = process.cpuUsage();
        const started = performance.now();
        const answer = await /** @type {any} */ (variants)[label](event);
        const elapsed = performance.now() - started;
        const used = process.cpuUsage(cpu);
        if (index < 30) continue;
        const sample = /** @type {(typeof samples)[string]} */ (samples[label]);
        sample.ms.push(elapsed);
        sample.cpuMs.push((used.user + used.system) / 1000);
        sample.statuses.add(String(answer.statusCode));
      }
    }
    const floorMedian = summarize(samples['crash-safe floor']?.ms ?? []).median;
    const fullMedian = summarize(samples.full?.ms ?? []).median;
    console.log(
      table(
        `Ingest variants, ${requests} interleaved requests each (medians; CPU = this process while the request ran)`,
        ['variant', 'latency ms', 'vs floor', 'saved vs full ms', 'CPU ms', 'answers'],
        labels.map((label) => {
          const sample = /** @type {(typeof samples)[string]} */ (samples[label]);
          const median = summarize(sample.ms).median;
          return [
            label,
            fixed(median),
            `${fixed(ratio(median, floorMedian))}x`,
            fixed(fullMedian - median),
            fixed(summarize(sample.cpuMs).median),
            [...sample.statuses].join(' '),
          ];
        }),
      ),
    );

    // A CPU profile of the full ingest alone, sequential, by package.
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const cpu = process.cpuUsage();
    for (let index = 0; index < requests; index += 1) {
      await variants.full(httpEvent('stripe', stripe.next()));
    }
    const used = process.cpuUsage(cpu);
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const totals = selfTimeByOwner(
      /** @type {any} */ (profile),
      path.join(workDir, 'ingest-parts.js'),
    );
    // Waiting on the local servers, not CPU.
    delete totals['((idle))'];
    const sum = Object.values(totals).reduce((a, b) => a + b, 0);
    console.log(
      `\n${table(
        `CPU self time of the full ingest per request, by package (${requests} requests profiled; ${fixed((used.user + used.system) / 1000 / requests)} ms CPU per request; profiling inflates times)`,
        ['owner', 'ms / request', 'share'],
        Object.entries(totals)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 20)
          .map(([owner, ms]) => [owner, fixed(ms / requests, 3), `${fixed((100 * ms) / sum, 1)}%`]),
      )}`,
    );
  } finally {
    const admin = all[0];
    for (const url of created) {
      await admin?.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    }
    for (const clients of all) clients.destroy();
    await stopLocalStack();
    removeBenchService(serviceDir);
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
