// Capacity simulation of the whole ingest path (issue 20): the production webhook ingest
// (`buildWebhookIngest`, as the handler and test/helpers/ingest/ingest-harness.ts build it) in this process,
// one instance per simulated Lambda container, on a virtual clock, with SDK clients answered by an
// in-memory AWS (simulated-aws.js) that honours the conditional writes and counts every
// operation per item and per virtual second. Requests are signed as the provider signs them and run
// concurrently within each virtual millisecond, one per container at a time. DynamoDB Local does not
// throttle and two cores cannot send 5,000 requests/s, hence a simulation.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const FakeTimers = require('@sinonjs/fake-timers');
const { bundleTypeScript } = require('../lib/bundle-ts');
const { simulatedAws } = require('./simulated-aws');
const { httpEvent, lambdaContext } = require('../../local/offline/lambda-events');
const { signedRequest } = require('../../tools/send/send');

const root = path.resolve(__dirname, '..', '..');
const START = 1_800_000_000_000;
const TABLES = { IdempotencyTable: ['id'], StateTable: ['pk', 'sk'] };
const QUEUES = {
  EMAIL_JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/email-jobs',
  EMAIL_JOBS_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/email-jobs-dlq',
  WORKFLOW_JOBS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/workflow-jobs',
};
/** DynamoDB's per-partition write limit: one item can never take more. */
const PARTITION_WRITES_PER_SECOND = 1000;

/**
 * `ceil(limit / 700)`: the shard count docs/capacity.md recommends (each counter under ~700 writes/s).
 * @param {number} limit
 */
const recommendedShards = (limit) => Math.ceil(limit / 700);

/**
 * @typedef {object} Scenario
 * @property {string} name
 * @property {number} sources
 * @property {number} ratePerSource webhooks per second offered by each source
 * @property {number} limit each source's abuse ceiling per second
 * @property {number} shards ABUSE_CEILING_SHARDS
 */

/** @returns {Scenario[]} */
function scenarios() {
  return [
    { name: 'before: 1 shard', sources: 1, ratePerSource: 5000, limit: 5000, shards: 1 },
    {
      name: `after: ${recommendedShards(5000)} shards`,
      sources: 1,
      ratePerSource: 5000,
      limit: 5000,
      shards: recommendedShards(5000),
    },
    {
      name: `after: ${recommendedShards(5000)} shards, 6,000/s offered`,
      sources: 1,
      ratePerSource: 6000,
      limit: 5000,
      shards: recommendedShards(5000),
    },
    {
      name: '20 sources at 500/s, 1 shard',
      sources: 20,
      ratePerSource: 500,
      limit: 500,
      shards: 1,
    },
  ];
}

/** A fixed pseudo-random sequence (a linear congruential generator), so a run is repeatable. */
function lcg(seed = 1) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * The simulation's catalog: one profile `sim` whose sources are all Stripe-signed, each with one
 * workflow route and the scenario's ceiling.
 * @param {Scenario} scenario
 * @param {string} dir
 */
function writeSources(scenario, dir) {
  /** @type {Record<string, unknown>} */
  const sources = {};
  for (const name of sourceNames(scenario)) {
    sources[name] = {
      scheme: 'stripe',
      abuseCeiling: { perSecond: scenario.limit },
      routes: [{ match: '*', to: 'workflow:payments' }],
    };
  }
  const file = path.join(dir, 'sources.json');
  fs.writeFileSync(file, JSON.stringify({ sim: { sources, emailTemplates: {} } }));
  return file;
}

/** @param {Scenario} scenario */
const sourceNames = (scenario) =>
  Array.from({ length: scenario.sources }, (_, i) => `src-${String(i + 1).padStart(2, '0')}`);

/**
 * Runs one scenario for `seconds` of virtual time on `containers` ingest instances.
 * @param {any} ingestModule the bundled wiring
 * @param {Scenario} scenario
 * @param {{ seconds: number, containers: number, duplicateShare?: number }} size
 */
async function simulateIngest(ingestModule, scenario, size) {
  const { buildWebhookIngest, loadIngestConfig, loadTimeoutSettings } = ingestModule;
  const { Logger } = require('@aws-lambda-powertools/logger');
  const duplicateShare = size.duplicateShare ?? 0.01;
  let clock = START;
  const secret = 'whsec_simulation';
  const names = sourceNames(scenario);
  const aws = simulatedAws({
    now: () => clock,
    tables: TABLES,
    secrets: Object.fromEntries(
      names.map((name) => [`sim/webhooks/${name}`, JSON.stringify({ current: secret })]),
    ),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingest-capacity-'));
  const realRandom = Math.random;
  const previousSourcesFile = process.env.SOURCES_FILE;
  const random = lcg(7);
  // The virtual clock (Date and Date.now: the ceiling's window, Powertools' expiries and its secret
  // cache) and a repeatable Math.random (the ceiling's first shard), for everything the ingest runs;
  // timers stay real. Restored below.
  const fakeClock = FakeTimers.install({ now: START, toFake: ['Date'] });
  const setClock = (/** @type {number} */ ms) => {
    clock = ms;
    fakeClock.setSystemTime(ms);
  };
  Math.random = random;
  try {
    process.env.SOURCES_FILE = writeSources(scenario, dir);
    const config = loadIngestConfig({
      SOURCES_PROFILE: 'sim',
      SECRETS_PREFIX: 'sim',
      IDEMPOTENCY_TABLE: 'IdempotencyTable',
      STATE_TABLE: 'StateTable',
      ...QUEUES,
      ABUSE_CEILING_SHARDS: String(scenario.shards),
    });
    const logger = new Logger({ logLevel: 'SILENT' });
    const timeouts = loadTimeoutSettings({});
    const containers = Array.from({ length: size.containers }, () =>
      buildWebhookIngest(config, aws.clients(), logger, timeouts),
    );
    const sample = JSON.parse(
      fs.readFileSync(path.join(root, 'events/webhooks/stripe.json'), 'utf8'),
    ).body;

    /** @type {Record<string, number>} */
    const statuses = {};
    /** @type {Map<string, number>} source and second -> first deliveries admitted */
    const admittedPer = new Map();
    let admitted = 0;
    let refused = 0;
    let duplicatesSent = 0;
    let duplicatesAbsorbed = 0;
    let unexpected = 0;
    /** @type {{ source: string, request: { body: string, headers: Record<string, string> } }[]} */
    const accepted = [];
    let events = 0;
    const perSecond = scenario.sources * scenario.ratePerSource;
    for (let second = 0; second < size.seconds; second += 1) {
      for (let ms = 0; ms < 1000; ms += 1) {
        setClock(START + second * 1000 + ms);
        const from = Math.floor((ms * perSecond) / 1000);
        const to = Math.floor(((ms + 1) * perSecond) / 1000);
        const busy = new Set();
        const running = [];
        for (let i = from; i < to; i += 1) {
          let container = Math.floor(random() * containers.length);
          while (busy.has(container)) container = (container + 1) % containers.length;
          busy.add(container);
          const ingest = /** @type {any} */ (containers[container]);
          const duplicate = accepted.length > 0 && random() < duplicateShare;
          let source;
          let request;
          if (duplicate) {
            // A sender's retry of an event already accepted, tens of milliseconds later.
            const earlier = accepted[Math.max(0, accepted.length - 1 - Math.floor(random() * 200))];
            ({ source, request } = /** @type {NonNullable<typeof earlier>} */ (earlier));
            duplicatesSent += 1;
          } else {
            source = /** @type {string} */ (names[i % names.length]);
            events += 1;
            const body = { ...sample, id: `evt_sim${events}`, created: Math.floor(clock / 1000) };
            request = signedRequest(
              { scheme: 'stripe' },
              { body },
              secret,
              Math.floor(clock / 1000),
            );
          }
          const at = `${source}@${second}`;
          running.push(
            ingest(
              httpEvent(source, request, { requestId: `req-${i}` }),
              lambdaContext('sim'),
            ).then((/** @type {{ statusCode: number }} */ response) => {
              statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;
              if (duplicate) {
                if (response.statusCode === 202) duplicatesAbsorbed += 1;
                else unexpected += 1;
              } else if (response.statusCode === 202) {
                admitted += 1;
                admittedPer.set(at, (admittedPer.get(at) ?? 0) + 1);
                accepted.push({ source, request });
              } else if (response.statusCode === 429) refused += 1;
              else unexpected += 1;
            }),
          );
        }
        await Promise.all(running);
      }
      if (accepted.length > 1000) accepted.splice(0, accepted.length - 1000);
    }
    return report(scenario, size, aws.counts(), {
      statuses,
      admitted,
      refused,
      duplicatesSent,
      duplicatesAbsorbed,
      unexpected,
      admittedPerSourceSecond: names.flatMap((name) =>
        Array.from({ length: size.seconds }, (_, s) => admittedPer.get(`${name}@${s}`) ?? 0),
      ),
    });
  } finally {
    fakeClock.uninstall();
    Math.random = realRandom;
    if (previousSourcesFile === undefined) delete process.env.SOURCES_FILE;
    else process.env.SOURCES_FILE = previousSourcesFile;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The kind of item a key is: a DynamoDB key's first attribute up to its first `#` (`ceiling`,
 * `webhook-ingest`: one dedupe record per event), per table.
 * @param {import('./simulated-aws').OperationCount} count
 */
function itemKind(count) {
  if (count.service !== 'dynamodb') return count.resource;
  const first = JSON.parse(count.key)[0];
  const text = String(first?.S ?? first?.N ?? '?');
  return `${count.resource} ${text.split('#')[0]}`;
}

/**
 * @param {Map<string, number>} map
 * @param {string} key
 * @param {number} add
 */
const bump = (map, key, add) => map.set(key, (map.get(key) ?? 0) + add);
/** @param {Iterable<number>} values */
const peak = (values) => Math.max(0, ...values);

/**
 * Figures of one run from the store's counts.
 * @param {Scenario} scenario
 * @param {{ seconds: number, containers: number }} size
 * @param {import('./simulated-aws').OperationCount[]} counts
 * @param {any} outcome
 */
function report(scenario, size, counts, outcome) {
  const dynamo = counts.filter((c) => c.service === 'dynamodb');
  /** @type {Map<string, { items: Set<string>, writes: number, busiest: number, busiestKey: string }>} */
  const kinds = new Map();
  const tableWrites = new Map();
  const tableUnits = new Map();
  let writes = 0;
  let busiest = { writes: 0, kind: '', key: '' };
  for (const c of dynamo) {
    const kind = itemKind(c);
    const entry = kinds.get(kind) ?? { items: new Set(), writes: 0, busiest: 0, busiestKey: '' };
    entry.items.add(c.key);
    entry.writes += c.writes;
    if (c.writes > entry.busiest) Object.assign(entry, { busiest: c.writes, busiestKey: c.key });
    kinds.set(kind, entry);
    bump(tableWrites, `${c.resource}@${c.second}`, c.writes);
    bump(tableUnits, `${c.resource}@${c.second}`, c.writeUnits);
    writes += c.writes;
    if (c.writes > busiest.writes) busiest = { writes: c.writes, kind, key: c.key };
  }
  const perTable = Object.fromEntries(
    Object.keys(TABLES).map((table) => [
      table,
      {
        peakWritesPerSecond: peak(
          [...tableWrites].filter(([k]) => k.startsWith(`${table}@`)).map(([, v]) => v),
        ),
        peakWriteUnitsPerSecond: peak(
          [...tableUnits].filter(([k]) => k.startsWith(`${table}@`)).map(([, v]) => v),
        ),
      },
    ]),
  );
  const items = [...kinds].map(([kind, e]) => ({
    kind,
    items: e.items.size,
    writes: e.writes,
    busiestItemWritesPerSecond: e.busiest,
  }));
  /** @param {string} service @param {'reads' | 'messages'} field */
  const perSecondPeak = (service, field) => {
    const seconds = new Map();
    for (const c of counts) if (c.service === service) bump(seconds, String(c.second), c[field]);
    return peak(seconds.values());
  };
  const sum = (/** @type {string} */ service, /** @type {'reads' | 'messages'} */ field) =>
    counts.filter((c) => c.service === service).reduce((total, c) => total + c[field], 0);
  return {
    ...scenario,
    seconds: size.seconds,
    containers: size.containers,
    ...outcome,
    admittedPerSourceSecondMin: Math.min(...outcome.admittedPerSourceSecond),
    admittedPerSourceSecondMax: Math.max(...outcome.admittedPerSourceSecond),
    admittedPerSourceSecond: undefined,
    busiestKey: busiest,
    withinPartitionLimit: busiest.writes <= PARTITION_WRITES_PER_SECOND,
    items,
    tables: perTable,
    dynamoDbWritesPerAcceptedWebhook: Number((writes / Math.max(outcome.admitted, 1)).toFixed(3)),
    sqs: {
      peakCallsPerSecond: perSecondPeak('sqs', 'reads'),
      peakMessagesPerSecond: perSecondPeak('sqs', 'messages'),
      messages: sum('sqs', 'messages'),
    },
    secretsManager: {
      peakCallsPerSecond: perSecondPeak('secretsmanager', 'reads'),
      calls: sum('secretsmanager', 'reads'),
    },
  };
}

/**
 * Bundles the ingest wiring and runs every scenario.
 * @param {{ seconds: number, containers: number }} size
 */
async function runIngestCapacity(size) {
  const cacheDir = path.join(root, 'node_modules', '.cache');
  fs.mkdirSync(cacheDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cacheDir, 'ingest-capacity-'));
  try {
    const modulePath = await bundleTypeScript(path.join(dir, 'ingest.js'), [
      "export { loadIngestConfig } from './functions/webhook-ingest/config';",
      "export { buildWebhookIngest } from './functions/webhook-ingest/wiring';",
      "export { loadTimeoutSettings } from './shared/clients/options';",
    ]);
    const ingestModule = require(modulePath);
    const results = [];
    for (const scenario of scenarios()) {
      results.push(await simulateIngest(ingestModule, scenario, size));
    }
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {any[]} results */
function printIngestCapacity(results) {
  const before = results.find((r) => r.shards === 1 && r.sources === 1);
  for (const r of results) {
    const ratio =
      before && r !== before && r.sources === 1
        ? ` (${(r.busiestKey.writes / before.busiestKey.writes).toFixed(2)}x of before)`
        : '';
    console.log(
      `whole ingest, ${r.name}: ${r.sources} x ${r.ratePerSource}/s for ${r.seconds} s on ` +
        `${r.containers} containers, limit ${r.limit}/s, ABUSE_CEILING_SHARDS=${r.shards}`,
    );
    console.log(
      `  busiest DynamoDB item: ${r.busiestKey.writes} writes/s (${r.busiestKey.kind})${ratio}, ` +
        `${r.withinPartitionLimit ? 'within' : 'OVER'} the 1,000/s partition limit`,
    );
    console.log(
      `  ceiling: admitted ${r.admitted}, refused ${r.refused}; per source-second ` +
        `${r.admittedPerSourceSecondMin}..${r.admittedPerSourceSecondMax} against ${r.limit} ` +
        `(allowed ${Math.floor(r.limit * 0.95)}..${Math.floor(r.limit * 1.01)}); duplicates ` +
        `${r.duplicatesAbsorbed}/${r.duplicatesSent} absorbed; other answers ${r.unexpected}; ` +
        `statuses ${JSON.stringify(r.statuses)}`,
    );
    for (const item of r.items) {
      console.log(
        `  ${item.kind}: ${item.items} items, ${item.writes} writes, busiest item ` +
          `${item.busiestItemWritesPerSecond} writes/s`,
      );
    }
    for (const [table, t] of Object.entries(r.tables)) {
      console.log(
        `  table ${table}: peak ${t.peakWritesPerSecond} writes/s, ${t.peakWriteUnitsPerSecond} write units/s`,
      );
    }
    console.log(
      `  ${r.dynamoDbWritesPerAcceptedWebhook} DynamoDB writes per accepted webhook; SQS peak ` +
        `${r.sqs.peakCallsPerSecond} calls/s, ${r.sqs.peakMessagesPerSecond} messages/s ` +
        `(${r.sqs.messages} messages); Secrets Manager peak ${r.secretsManager.peakCallsPerSecond} ` +
        `calls/s (${r.secretsManager.calls} in all)`,
    );
  }
}

module.exports = {
  printIngestCapacity,
  recommendedShards,
  runIngestCapacity,
  scenarios,
  simulateIngest,
};

if (require.main === module) {
  const small = process.env.BENCH_SIZE === 'small';
  runIngestCapacity(small ? { seconds: 1, containers: 100 } : { seconds: 5, containers: 250 })
    .then(printIngestCapacity)
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
