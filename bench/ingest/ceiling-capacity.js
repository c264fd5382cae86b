// Capacity simulation of the abuse ceiling (issue 20): the production FixedWindowCeiling (and, for
// "before", the version of commit a645168, bundled from git) driven in process on a virtual clock,
// against a store that answers UpdateItem as DynamoDB does for the ceiling's conditional ADD and counts
// every write (a refused conditional write costs a write unit too) per key per second; a single slot
// (`ADD :one` if `#count < :limit`) and a leased block (`ADD :block` if `#count <= :room`) alike. DynamoDB Local
// does not throttle and two cores cannot send 5,000 requests/s, hence a simulation.
// Dedupe costs 2 writes per accepted webhook on a key of its own (Powertools claim and completion):
// added to the ceiling's measured writes for the writes per accepted webhook.

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ConditionalCheckFailedException } = require('@aws-sdk/client-dynamodb');

const root = path.resolve(__dirname, '..', '..');
const BEFORE_COMMIT = 'a645168';

async function bundle(/** @type {string} */ contents, /** @type {string} */ outfile) {
  await require('esbuild').build({
    stdin: { contents, resolveDir: root, loader: 'ts', sourcefile: path.basename(outfile) },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return require(outfile).FixedWindowCeiling;
}

/** The counting store: one item per key, writes counted per key and virtual second. */
function countingStore(/** @type {() => number} */ now) {
  const items = new Map();
  const writes = new Map();
  return {
    writes,
    client: {
      async send(/** @type {any} */ command) {
        const input = command.input;
        const key = input.Key.pk.S;
        const slot = `${key}@${Math.floor(now() / 1000)}`;
        writes.set(slot, (writes.get(slot) ?? 0) + 1);
        const count = items.get(key) ?? 0;
        const values = input.ExpressionAttributeValues;
        // One slot: `#count < :limit`, ADD :one; a leased block: `#count <= :room`, ADD :block.
        const fits = values[':block']
          ? count <= Number(values[':room'].N)
          : count < Number(values[':limit'].N);
        if (!fits) throw new ConditionalCheckFailedException({ message: 'full', $metadata: {} });
        const next = count + Number((values[':block'] ?? values[':one']).N);
        items.set(key, next);
        return { Attributes: { count: { N: String(next) } } };
      },
    },
  };
}

/**
 * @param {any} Ceiling the class
 * @param {{ sources: number, ratePerSource: number, limit: number, shards: number, seconds: number, containers: number }} p
 */
async function simulate(Ceiling, p) {
  let clock = 1_800_000_000_000;
  const store = countingStore(() => clock);
  let draw = 0.5;
  // A fixed pseudo-random sequence (LCG), so a run is repeatable.
  const random = () => {
    draw = (draw * 9301 + 0.49297) % 1;
    return draw;
  };
  const containers = Array.from(
    { length: p.containers },
    () =>
      new Ceiling({
        client: store.client,
        tableName: 'sim',
        shards: p.shards,
        now: () => clock,
        random,
      }),
  );
  const perSecond = []; // per source and second: admitted
  let admitted = 0;
  let refused = 0;
  const perSecondTotal = p.sources * p.ratePerSource;
  for (let second = 0; second < p.seconds; second += 1) {
    const counts = new Array(p.sources).fill(0);
    for (let i = 0; i < perSecondTotal; i += 1) {
      clock = 1_800_000_000_000 + second * 1000 + Math.floor((i * 1000) / perSecondTotal);
      const source = i % p.sources;
      const container = containers[Math.floor(random() * p.containers)];
      const decision = await container.take(`s${source}`, p.limit);
      if (decision.allowed) {
        admitted += 1;
        counts[source] += 1;
      } else refused += 1;
    }
    perSecond.push(...counts);
  }
  const busiest = Math.max(...store.writes.values());
  const ceilingWrites = [...store.writes.values()].reduce((a, b) => a + b, 0);
  return {
    ...p,
    busiestKeyWritesPerSecond: busiest,
    admitted,
    refused,
    admittedPerSourceSecondMin: Math.min(...perSecond),
    admittedPerSourceSecondMax: Math.max(...perSecond),
    writesPerAcceptedWebhook: Number((2 + ceilingWrites / Math.max(admitted, 1)).toFixed(3)),
  };
}

async function runCeilingCapacity(/** @type {{ seconds: number, containers: number }} */ size) {
  const cacheDir = path.join(root, 'node_modules', '.cache');
  // Inside the project, so that the bundles resolve their external packages.
  fs.mkdirSync(cacheDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cacheDir, 'ceiling-capacity-'));
  try {
    const before = await bundle(
      execFileSync('git', ['show', `${BEFORE_COMMIT}:shared/rate-limit/fixed-window-ceiling.ts`], {
        cwd: root,
        encoding: 'utf8',
      }).replace("'../errors'", "'./shared/errors'"),
      path.join(dir, 'before.js'),
    );
    const after = await bundle(
      "export { FixedWindowCeiling } from './shared/rate-limit/fixed-window-ceiling';",
      path.join(dir, 'after.js'),
    );
    const { seconds, containers } = size;
    const cases = [
      ['before, 1 shard', before, { sources: 1, ratePerSource: 5000, limit: 5000, shards: 1 }],
      ['before, 8 shards', before, { sources: 1, ratePerSource: 5000, limit: 5000, shards: 8 }],
      ['after, 8 shards', after, { sources: 1, ratePerSource: 5000, limit: 5000, shards: 8 }],
      [
        'after, 8 shards, 6,000/s offered',
        after,
        { sources: 1, ratePerSource: 6000, limit: 5000, shards: 8 },
      ],
      [
        'after, 20 sources at 500/s, 1 shard',
        after,
        { sources: 20, ratePerSource: 500, limit: 500, shards: 1 },
      ],
    ];
    const results = [];
    for (const [name, Ceiling, p] of cases) {
      results.push({ name, ...(await simulate(Ceiling, { ...p, seconds, containers })) });
    }
    return results;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printCeilingCapacity(/** @type {any[]} */ results) {
  for (const r of results) {
    console.log(
      `${r.name}: ${r.sources} x ${r.ratePerSource}/s, limit ${r.limit}/s per source, ` +
        `busiest key ${r.busiestKeyWritesPerSecond} writes/s; admitted ${r.admitted}, refused ${r.refused} ` +
        `(per source-second ${r.admittedPerSourceSecondMin}..${r.admittedPerSourceSecondMax} against ${r.limit}); ` +
        `${r.writesPerAcceptedWebhook} writes per accepted webhook`,
    );
  }
}

module.exports = { printCeilingCapacity, runCeilingCapacity, simulate };

if (require.main === module) {
  const small = process.env.BENCH_SIZE === 'small';
  runCeilingCapacity(small ? { seconds: 2, containers: 20 } : { seconds: 20, containers: 50 })
    .then(printCeilingCapacity)
    .catch((error) => {
      console.error(error);
      process.exit(1);
    });
}
