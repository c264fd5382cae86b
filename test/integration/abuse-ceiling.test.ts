import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { localStack } from '../helpers/stack/local-stack';

describe('abuse ceiling on DynamoDB Local', () => {
  const state = localStack();
  const tableName = state.tables.StateTable?.name as string;
  const client = new DynamoDBClient({ endpoint: state.dynamodb, region: state.region });
  afterAll(() => client.destroy());

  it('admits exactly the limit of 30 concurrent requests in one window, across instances', async () => {
    const key = `it-${Date.now()}`;
    const fixedNow = () => 1_763_700_000_000;
    // Two instances stand for two containers sharing the table.
    const a = new FixedWindowCeiling({ client, tableName, shards: 1, now: fixedNow });
    const b = new FixedWindowCeiling({ client, tableName, shards: 1, now: fixedNow });

    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).take(key, 10)),
    );

    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(decisions.filter((d) => !d.allowed).every((d) => d.retryAfterSeconds >= 1)).toBe(true);
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: `ceiling#${key}#1763700000#0` }, sk: { S: 'window' } },
      }),
    );
    expect(Item?.count?.N).toBe('10');
    expect(Number(Item?.expiresAt?.N)).toBeGreaterThan(1_763_700_000);
  });

  it('starts counting afresh in the next window', async () => {
    const key = `it-next-${Date.now()}`;
    let clock = 1_763_700_000_000;
    const ceiling = new FixedWindowCeiling({ client, tableName, shards: 1, now: () => clock });

    const first = await ceiling.take(key, 1);
    const second = await ceiling.take(key, 1);
    clock += 1000;
    const third = await ceiling.take(key, 1);

    expect([first.allowed, second.allowed, third.allowed]).toEqual([true, false, true]);
  });

  it('spreads one window over shards, each allowing its share', async () => {
    const key = `it-shards-${Date.now()}`;
    let pick = 0;
    const ceiling = new FixedWindowCeiling({
      client,
      tableName,
      shards: 4,
      now: () => 1_763_700_000_000,
      random: () => (pick++ % 4) / 4,
    });

    const decisions = await Promise.all(Array.from({ length: 12 }, () => ceiling.take(key, 8)));

    // 8 per second over 4 shards is 2 per shard: 8 of the 12 are admitted.
    expect(decisions.filter((d) => d.allowed)).toHaveLength(8);
  });

  it('admits the whole limit over shards even when containers start on the same shard, and no more', async () => {
    const key = `it-overflow-${Date.now()}`;
    const fixedNow = () => 1_763_700_000_000;
    // Three containers that all start on shard 0: their turns collide, so some shards fill first; a
    // request on a full shard moves on, so the window still admits its 16 (4 shards of 4), not fewer.
    const containers = [0, 1, 2].map(
      () =>
        new FixedWindowCeiling({ client, tableName, shards: 4, now: fixedNow, random: () => 0 }),
    );

    const first = await Promise.all(
      Array.from({ length: 14 }, (_, i) => containers[i % 3]?.take(key, 16)),
    );
    expect(first.filter((d) => d?.allowed)).toHaveLength(14);
    const rest = await Promise.all(
      Array.from({ length: 20 }, (_, i) => containers[i % 3]?.take(key, 16)),
    );

    expect(rest.filter((d) => d?.allowed)).toHaveLength(2);
    const counts = await Promise.all(
      [0, 1, 2, 3].map(async (shard) => {
        const { Item } = await client.send(
          new GetItemCommand({
            TableName: tableName,
            Key: { pk: { S: `ceiling#${key}#1763700000#${shard}` }, sk: { S: 'window' } },
          }),
        );
        return Number(Item?.count?.N);
      }),
    );
    expect(counts).toEqual([4, 4, 4, 4]);
  });
});
