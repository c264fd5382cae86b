// The capacity simulation's own guarantees, at its small size: the production ceiling keeps every
// counter under DynamoDB's 1,000 writes/s per item at 5,000 webhooks/s from one source, admits at most
// its limit plus 1 % and refuses nothing below 95 % of it.
const { runCeilingCapacity } = require('../../../../bench/ingest/ceiling-capacity') as {
  runCeilingCapacity: (size: { seconds: number; containers: number }) => Promise<
    Array<{
      name: string;
      limit: number;
      ratePerSource: number;
      refused: number;
      busiestKeyWritesPerSecond: number;
      admittedPerSourceSecondMin: number;
      admittedPerSourceSecondMax: number;
      writesPerAcceptedWebhook: number;
    }>
  >;
};

describe('abuse ceiling capacity simulation', () => {
  it('keeps the busiest key under 1,000 writes/s and the ceiling within [95 %, 101 %] of its limit', async () => {
    const results = await runCeilingCapacity({ seconds: 2, containers: 20 });
    const after = results.filter((r) => r.name.startsWith('after'));

    expect(after.length).toBeGreaterThan(0);
    for (const r of after) {
      expect(r.busiestKeyWritesPerSecond).toBeLessThan(1000);
      expect(r.admittedPerSourceSecondMax).toBeLessThanOrEqual(r.limit * 1.01);
      expect(r.admittedPerSourceSecondMin).toBeGreaterThanOrEqual(r.limit * 0.95);
      // Offered no more than the limit: nothing is refused at all.
      if (r.ratePerSource <= r.limit) expect(r.refused).toBe(0);
    }
    const before = results.find((r) => r.name === 'before, 1 shard');
    expect(before?.busiestKeyWritesPerSecond).toBeGreaterThan(1000);
  }, 60_000);
});
