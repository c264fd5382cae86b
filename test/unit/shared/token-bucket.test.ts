import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { TokenBucket } from '../../../shared/rate-limit/token-bucket';

const dynamo = mockClient(DynamoDBDocumentClient);

function bucket(now: () => number, onSleep: (ms: number) => void = () => {}, lumpSeconds?: number) {
  return new TokenBucket({
    ...(lumpSeconds === undefined ? {} : { lumpSeconds }),
    client: new DynamoDBClient({ region: 'us-east-1' }),
    tableName: 'state',
    name: 'email#postmark',
    ratePerSecond: 100,
    burst: 500,
    now,
    sleep: async (ms) => onSleep(ms),
  });
}

describe('token bucket', () => {
  beforeEach(() => dynamo.reset());

  it('grants a whole call from a full bucket with one conditional write', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    const limiter = bucket(() => 1_000_000);

    expect(await limiter.take(500, 0)).toBe(500);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(1);
    const input = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ExpressionAttributeValues?.[':tokens']).toBe(0);
    expect(limiter.writes).toBe(1);
  });

  it('retries from the item a lost race hands back, without reading again', async () => {
    dynamo.on(GetCommand).resolves({});
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(
        new ConditionalCheckFailedException({
          message: 'lost',
          $metadata: {},
          Item: { tokens: { N: '100' }, updatedAt: { N: '1000000' }, version: { N: '3' } },
        }),
      )
      .resolves({});
    const limiter = bucket(() => 1_000_000);

    expect(await limiter.take(500, 0)).toBe(100);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(1);
    const second = dynamo.commandCalls(UpdateCommand)[1]?.args[0].input;
    expect(second?.ExpressionAttributeValues?.[':current']).toBe(3);
  });

  it('waits briefly for a refill, then takes what came in at once', async () => {
    let clock = 1_000_000;
    const sleeps: number[] = [];
    dynamo.on(GetCommand).resolves({
      Item: { tokens: 0, updatedAt: clock, version: 7 },
    });
    dynamo.on(UpdateCommand).resolves({});
    const limiter = bucket(
      () => clock,
      (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
    );

    // It waits for what the rate brings in the wait (25 tokens), then takes them in one write.
    const granted = await limiter.take(500, 250);
    expect(granted).toBe(25);
    expect(sleeps).toEqual([250]);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(1);
  });

  it('with a lump, takes what the rate brings in it instead of waiting for all it wants', async () => {
    let clock = 1_000_000;
    const sleeps: number[] = [];
    dynamo.on(GetCommand).resolves({ Item: { tokens: 0, updatedAt: clock, version: 7 } });
    dynamo.on(UpdateCommand).resolves({});
    const advance = (ms: number) => {
      sleeps.push(ms);
      clock += ms;
    };

    // 100/s with 2 s lumps: 200 tokens after about 2 s, although 300 are wanted and 10 s allowed.
    const granted = await bucket(() => clock, advance, 2).take(300, 10_000);
    expect(granted).toBeGreaterThanOrEqual(200);
    expect(granted).toBeLessThan(300);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThan(2100);

    // Without one it waits until all 300 came in (3 s).
    sleeps.length = 0;
    clock = 1_000_000;
    expect(await bucket(() => clock, advance).take(300, 10_000)).toBe(300);
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeGreaterThanOrEqual(3000);
  });

  it('never counts time backwards when another consumer stamped a later clock', async () => {
    dynamo.on(GetCommand).resolves({
      Item: { tokens: 10, updatedAt: 2_000_000, version: 1 },
    });
    dynamo.on(UpdateCommand).resolves({});
    const limiter = bucket(() => 1_000_000);

    expect(await limiter.take(500, 0)).toBe(10);
    const input = dynamo.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ExpressionAttributeValues?.[':updatedAt']).toBe(2_000_000);
  });
});
