import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DependencyError } from '../../../../shared/errors';
import { FixedWindowCeiling } from '../../../../shared/rate-limit/fixed-window-ceiling';

const dynamoMock = mockClient(DynamoDBClient);
/** 2023-11-14T22:13:43.456Z: second 1700000023. */
const NOW_MS = 1_700_000_023_456;

function ceiling(options: { shards?: number; random?: () => number; now?: () => number } = {}) {
  return new FixedWindowCeiling({
    client: new DynamoDBClient({ region: 'us-east-1' }),
    tableName: 'connector-suite-test-ceilings',
    shards: options.shards ?? 1,
    now: options.now ?? (() => NOW_MS),
    random: options.random ?? (() => 0),
  });
}

/** The UpdateItem inputs sent so far. */
function updates(): UpdateItemCommandInput[] {
  return dynamoMock.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
}

afterAll(() => dynamoMock.restore());

beforeEach(() => {
  dynamoMock.reset();
  dynamoMock.on(UpdateItemCommand).resolves({});
});

describe('FixedWindowCeiling', () => {
  it('counts a request with one conditional ADD on the counter of its key and second', async () => {
    await ceiling().take('stripe', 50);

    expect(updates()).toEqual([
      {
        TableName: 'connector-suite-test-ceilings',
        Key: { pk: { S: 'ceiling#stripe#1700000023#0' }, sk: { S: 'window' } },
        UpdateExpression: 'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':limit': { N: '50' },
          ':expiresAt': { N: String(1_700_000_023 + 120) },
        },
        ReturnValues: 'UPDATED_NEW',
      },
    ]);
  });

  it('lets the counter expire two minutes after its window, in epoch seconds for DynamoDB TTL', async () => {
    await ceiling().take('github', 10);

    const expiresAt = Number(updates()[0]?.ExpressionAttributeValues?.[':expiresAt']?.N);
    expect(Number.isInteger(expiresAt)).toBe(true);
    expect(expiresAt - Math.floor(NOW_MS / 1000)).toBe(120);
  });

  it('moves to a new counter when the second changes', async () => {
    let now = NOW_MS;
    const limiter = ceiling({ now: () => now });

    await limiter.take('slack', 10);
    now = 1_700_000_024_000; // the first millisecond of the next second
    await limiter.take('slack', 10);

    expect(updates().map((input) => input.Key?.pk?.S)).toEqual([
      'ceiling#slack#1700000023#0',
      'ceiling#slack#1700000024#0',
    ]);
  });

  it('allows the request when the write succeeds', async () => {
    await expect(ceiling().take('stripe', 50)).resolves.toEqual({
      allowed: true,
      retryAfterSeconds: 1,
    });
  });

  it('refuses the request, with Retry-After of one second, when the counter is full', async () => {
    dynamoMock.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
      }),
    );

    await expect(ceiling().take('stripe', 50)).resolves.toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
  });

  it.each([
    [
      'a throttled table',
      new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }),
    ],
    ['a network error', new Error('connect ECONNREFUSED 127.0.0.1:8000')],
  ])('turns %s into a retryable 503 that keeps the cause', async (_case, cause) => {
    dynamoMock.on(UpdateItemCommand).rejects(cause);

    const error = await ceiling()
      .take('stripe', 50)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ status: 503, retryable: true });
    expect((error as DependencyError).message).toBe('The rate limit store is unavailable');
    expect((error as DependencyError).cause).toBe(cause);
  });

  it('spreads the limit over the shards, rounding each share up', async () => {
    await ceiling({ shards: 4 }).take('stripe', 10);

    expect(updates()[0]?.ExpressionAttributeValues?.[':limit']).toEqual({ N: '3' });
  });

  it.each([
    [0, 0],
    [0.24, 0],
    [0.25, 1],
    [0.5, 2],
    [0.999, 3],
  ])('picks the shard from the random draw (%f of 4 shards is shard %i)', async (draw, shard) => {
    await ceiling({ shards: 4, random: () => draw }).take('stripe', 100);

    expect(updates()[0]?.Key?.pk?.S).toBe(`ceiling#stripe#1700000023#${shard}`);
  });

  it('always uses shard 0 with one shard', async () => {
    const limiter = ceiling({ shards: 1, random: Math.random });

    for (let i = 0; i < 20; i += 1) await limiter.take('stripe', 100);

    expect(new Set(updates().map((input) => input.Key?.pk?.S))).toEqual(
      new Set(['ceiling#stripe#1700000023#0']),
    );
  });

  it('stays within the shards when the draw is out of range', async () => {
    await ceiling({ shards: 4, random: () => 1 }).take('stripe', 100);

    expect(updates()[0]?.Key?.pk?.S).toBe('ceiling#stripe#1700000023#0');
  });

  it('keeps the counters of different keys apart', async () => {
    const limiter = ceiling();

    await limiter.take('stripe', 10);
    await limiter.take('github', 10);

    expect(updates().map((input) => input.Key?.pk?.S)).toEqual([
      'ceiling#stripe#1700000023#0',
      'ceiling#github#1700000023#0',
    ]);
  });

  it("goes round the shards in turn from the container's first shard", async () => {
    const limiter = ceiling({ shards: 4, random: () => 0.5 });

    for (let i = 0; i < 6; i += 1) await limiter.take('stripe', 100);

    expect(updates().map((input) => input.Key?.pk?.S?.split('#')[3])).toEqual([
      '2',
      '3',
      '0',
      '1',
      '2',
      '3',
    ]);
  });

  it('moves on to the next shard when its shard is full, instead of refusing', async () => {
    const full = new ConditionalCheckFailedException({ message: 'full', $metadata: {} });
    dynamoMock
      .on(UpdateItemCommand, {
        Key: { pk: { S: 'ceiling#stripe#1700000023#0' }, sk: { S: 'window' } },
      })
      .rejects(full);

    await expect(ceiling({ shards: 4 }).take('stripe', 100)).resolves.toEqual({
      allowed: true,
      retryAfterSeconds: 1,
    });
    expect(updates().map((input) => input.Key?.pk?.S)).toEqual([
      'ceiling#stripe#1700000023#0',
      'ceiling#stripe#1700000023#1',
    ]);
  });

  it('refuses only when every shard is full, then refuses without writing for the rest of the second', async () => {
    dynamoMock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'full', $metadata: {} }));
    let now = NOW_MS;
    const limiter = ceiling({ shards: 4, now: () => now });

    const first = await limiter.take('stripe', 100);
    const second = await limiter.take('stripe', 100);
    expect([first.allowed, second.allowed]).toEqual([false, false]);
    expect(updates()).toHaveLength(4);

    now = 1_700_000_024_000;
    dynamoMock.on(UpdateItemCommand).resolves({});
    await expect(limiter.take('stripe', 100)).resolves.toMatchObject({ allowed: true });
    expect(updates()).toHaveLength(5);
  });

  describe('taking a slot ahead of the dedupe claim', () => {
    const counted = (count: number) => ({ Attributes: { count: { N: String(count) } } });

    it('takes none ahead before a write has shown how full the counter is', () => {
      expect(ceiling().takeAhead('stripe', 10)).toBeUndefined();
      expect(updates()).toHaveLength(0);
    });

    it('takes one ahead while the counter was last seen at most half full, and none past that', async () => {
      dynamoMock.on(UpdateItemCommand).resolves(counted(5));
      const limiter = ceiling();
      await limiter.take('stripe', 10);

      const reservation = await limiter.takeAhead('stripe', 10);
      expect(reservation).toMatchObject({ allowed: true, retryAfterSeconds: 1 });

      dynamoMock.on(UpdateItemCommand).resolves(counted(6));
      await limiter.take('stripe', 10);
      expect(limiter.takeAhead('stripe', 10)).toBeUndefined();
    });

    it('gives a slot back with one ADD of -1 on the counter it was taken from', async () => {
      dynamoMock.on(UpdateItemCommand).resolves(counted(1));
      const limiter = ceiling();
      await limiter.take('stripe', 10);
      const reservation = await limiter.takeAhead('stripe', 10);

      await reservation?.giveBack();

      expect(updates().at(-1)).toEqual({
        TableName: 'connector-suite-test-ceilings',
        Key: { pk: { S: 'ceiling#stripe#1700000023#0' }, sk: { S: 'window' } },
        UpdateExpression: 'ADD #count :minusOne',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: { ':minusOne': { N: '-1' } },
      });
    });

    it('takes none ahead once a write found the counter full', async () => {
      dynamoMock.on(UpdateItemCommand).resolves(counted(1));
      const limiter = ceiling();
      await limiter.take('stripe', 10);
      dynamoMock
        .on(UpdateItemCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'full', $metadata: {} }));

      await expect(limiter.takeAhead('stripe', 10)).resolves.toMatchObject({ allowed: false });
      expect(limiter.takeAhead('stripe', 10)).toBeUndefined();
    });
  });

  describe('leasing slots in blocks', () => {
    /** Answers each UpdateItem with the count it leaves, from a counter that starts at `start`. */
    function countingCounter(start = 0) {
      let count = start;
      dynamoMock.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => {
        const values = input.ExpressionAttributeValues ?? {};
        count += Number((values[':block'] ?? values[':one'] ?? values[':minusOne'])?.N);
        return { Attributes: { count: { N: String(count) } } };
      });
    }

    /** A container that spent `spent` slots of `key` in the second before NOW_MS's, one by one. */
    async function warmed(spent: number, limit: number, now: { ms: number }) {
      const limiter = ceiling({ now: () => now.ms });
      now.ms = NOW_MS - 1000;
      for (let i = 0; i < spent; i += 1) await limiter.take('stripe', limit);
      now.ms = 1_700_000_023_000; // the first millisecond of the next second
      dynamoMock.resetHistory();
      return limiter;
    }

    it("takes one slot per write until it has seen a full second of the container's own traffic", async () => {
      countingCounter();
      const limiter = ceiling();
      for (let i = 0; i < 5; i += 1) await limiter.take('stripe', 1000);

      expect(updates().map((input) => input.ExpressionAttributeValues?.[':one'])).toEqual(
        Array(5).fill({ N: '1' }),
      );
    });

    it('then leases a block with one conditional ADD, only if the counter has room for all of it, and spends it without writing', async () => {
      countingCounter();
      const now = { ms: 0 };
      const limiter = await warmed(40, 1000, now);

      const decisions = [];
      for (let i = 0; i < 20; i += 1) decisions.push(await limiter.take('stripe', 1000));

      expect(decisions.every((d) => d.allowed)).toBe(true);
      // 40 spent last second, the whole window left: a block of 40 / 2 = 20, one write for 20 slots.
      expect(updates()).toEqual([
        {
          TableName: 'connector-suite-test-ceilings',
          Key: { pk: { S: 'ceiling#stripe#1700000023#0' }, sk: { S: 'window' } },
          UpdateExpression:
            'ADD #count :block SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :room',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':block': { N: '20' },
            ':room': { N: String(1010 - 20) },
            ':expiresAt': { N: String(1_700_000_023 + 120) },
          },
          ReturnValues: 'UPDATED_NEW',
        },
      ]);
      await limiter.take('stripe', 1000);
      expect(updates()).toHaveLength(2);
    });

    it('leases smaller blocks as the window runs out and as the counter fills', async () => {
      countingCounter();
      const now = { ms: 0 };
      const limiter = await warmed(40, 1000, now);
      now.ms = 1_700_000_023_900; // a tenth of the window left: 40 x 0.1 / 2 = 2
      await limiter.take('stripe', 1000);
      expect(updates()[0]?.ExpressionAttributeValues?.[':block']).toEqual({ N: '2' });

      const filling = await warmed(40, 1000, now);
      countingCounter(980); // the block of 20 leaves 10 slots of room: a quarter of them, 2
      for (let i = 0; i < 21; i += 1) await filling.take('stripe', 1000);
      expect(updates().map((input) => input.ExpressionAttributeValues?.[':block']?.N)).toEqual([
        '20',
        '2',
      ]);
    });

    it('takes a single slot on the same counter when the block does not fit', async () => {
      const now = { ms: 0 };
      countingCounter();
      const limiter = await warmed(40, 1000, now);
      dynamoMock
        .on(UpdateItemCommand, { ExpressionAttributeValues: { ':block': { N: '20' } } })
        .rejects(new ConditionalCheckFailedException({ message: 'no room', $metadata: {} }));

      await expect(limiter.take('stripe', 1000)).resolves.toMatchObject({ allowed: true });

      expect(
        updates().map((input) => [
          input.Key?.pk?.S,
          input.ExpressionAttributeValues?.[':block']?.N ?? 'one',
        ]),
      ).toEqual([
        ['ceiling#stripe#1700000023#0', '20'],
        ['ceiling#stripe#1700000023#0', 'one'],
      ]);
    });

    it('allows each counter 1 % over its share of the limit, for leased slots left unspent', async () => {
      await ceiling({ shards: 8 }).take('stripe', 5000);
      await ceiling({ shards: 4 }).take('stripe', 10);

      expect(updates().map((input) => input.ExpressionAttributeValues?.[':limit']?.N)).toEqual([
        '631', // 8 x 631 = 5,048: at most 5,050
        '3', // rounding up already allows more than 1 %
      ]);
    });

    it('takes nothing ahead while a leased slot is at hand, and returns a block slot given back to the lease', async () => {
      countingCounter();
      const now = { ms: 0 };
      const limiter = await warmed(40, 1000, now);

      const reservation = await limiter.takeAhead('stripe', 1000);
      expect(reservation).toMatchObject({ allowed: true });
      expect(updates()).toHaveLength(1);
      expect(limiter.takeAhead('stripe', 1000)).toBeUndefined();

      await reservation?.giveBack();
      for (let i = 0; i < 20; i += 1) await limiter.take('stripe', 1000);
      expect(updates()).toHaveLength(1);
      await limiter.take('stripe', 1000);
      expect(updates()).toHaveLength(2);
    });
  });
});
