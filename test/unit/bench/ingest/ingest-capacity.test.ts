// The whole-ingest capacity simulation at a small size (bench/ingest/ingest-capacity.js): the production
// webhook ingest, on a virtual clock and a counting in-memory AWS, keeps every DynamoDB item under
// the 1,000 writes/s of one partition at 5,000 webhooks/s from one source with the recommended
// ABUSE_CEILING_SHARDS, and its ceiling admits at most its limit plus 1 % and refuses nothing below
// 95 % of it. The modules are the TypeScript sources, as jest compiles them.
import * as config from '../../../../functions/webhook-ingest/config';
import * as wiring from '../../../../functions/webhook-ingest/wiring';
import * as options from '../../../../shared/clients/options';

type Result = {
  name: string;
  sources: number;
  limit: number;
  ratePerSource: number;
  shards: number;
  admitted: number;
  refused: number;
  unexpected: number;
  duplicatesSent: number;
  duplicatesAbsorbed: number;
  admittedPerSourceSecondMin: number;
  admittedPerSourceSecondMax: number;
  busiestKey: { writes: number; kind: string };
  sqs: { messages: number };
};
const { scenarios, simulateIngest } = require('../../../../bench/ingest/ingest-capacity') as {
  scenarios: () => Array<{ name: string; ratePerSource: number; limit: number; shards: number }>;
  simulateIngest: (
    module: unknown,
    scenario: unknown,
    size: { seconds: number; containers: number },
  ) => Promise<Result>;
};

const ingestModule = { ...config, ...wiring, ...options };
const size = { seconds: 1, containers: 100 };

describe('whole-ingest capacity simulation', () => {
  it('at 5,000/s from one source with the recommended shards: no item over 1,000 writes/s, nothing refused, every event queued once', async () => {
    const scenario = scenarios().find(
      (s) => s.name.startsWith('after') && s.ratePerSource === 5000,
    );
    expect(scenario).toBeDefined();

    const r = await simulateIngest(ingestModule, scenario, size);

    expect(r.shards).toBeGreaterThan(1);
    expect(r.busiestKey.writes).toBeLessThanOrEqual(1000);
    expect(r.unexpected).toBe(0);
    expect(r.refused).toBe(0);
    expect(r.admitted).toBeGreaterThan(4900);
    expect(r.duplicatesAbsorbed).toBe(r.duplicatesSent);
    expect(r.sqs.messages).toBe(r.admitted);
  }, 60_000);

  it('at 6,000/s offered against 5,000: admits at least 95 % and at most 101 % of the limit in every second', async () => {
    const scenario = scenarios().find((s) => s.ratePerSource > s.limit);
    expect(scenario).toBeDefined();

    const r = await simulateIngest(ingestModule, scenario, size);

    expect(r.busiestKey.writes).toBeLessThanOrEqual(1000);
    expect(r.unexpected).toBe(0);
    expect(r.admittedPerSourceSecondMin).toBeGreaterThanOrEqual(r.limit * 0.95);
    expect(r.admittedPerSourceSecondMax).toBeLessThanOrEqual(r.limit * 1.01);
    expect(r.refused).toBeGreaterThan(0);
    expect(r.sqs.messages).toBe(r.admitted);
  }, 60_000);

  it('before the sharded ceiling (1 shard), the counter alone took more than a partition can', async () => {
    const scenario = scenarios().find((s) => s.shards === 1 && s.ratePerSource === 5000);
    expect(scenario).toBeDefined();

    const r = await simulateIngest(ingestModule, scenario, size);

    expect(r.busiestKey.kind).toMatch(/ceiling/);
    expect(r.busiestKey.writes).toBeGreaterThan(1000);
  }, 60_000);
});
