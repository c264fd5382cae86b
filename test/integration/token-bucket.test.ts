import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TokenBucket } from '../../shared/rate-limit/token-bucket';
import { localClientOptions, tableName } from '../helpers/stack/local-stack';

/**
 * The shared token bucket against DynamoDB Local (real conditional writes on its version) with an
 * injected clock: concurrent consumers never take more than the bucket holds, and it refills at its
 * rate up to its burst, whatever the clock does.
 */

jest.setTimeout(30_000);

const RATE = 100;
const BURST = 50;
let clock = 0;
let name = '';

/** One consumer's bucket, with its own client and memory (as separate containers have). */
function bucket(): TokenBucket {
  return new TokenBucket({
    client: new DynamoDBClient({ ...localClientOptions(), maxAttempts: 1 }),
    tableName: tableName('state'),
    name,
    ratePerSecond: RATE,
    burst: BURST,
    now: () => clock,
    sleep: async () => {},
  });
}

beforeEach(() => {
  name = `test-${randomUUID()}`;
  clock = Date.parse('2026-12-01T00:00:00Z');
});

describe('token bucket (DynamoDB Local)', () => {
  it('never grants concurrent consumers more than the bucket holds, and loses no token', async () => {
    const consumers = Array.from({ length: 10 }, () => bucket());
    const granted = await Promise.all(consumers.map((each) => each.take(12)));

    const total = granted.reduce((sum, count) => sum + count, 0);
    expect(total).toBeLessThanOrEqual(BURST);
    // What the race left is still there: a late consumer gets exactly the rest.
    expect(await bucket().take(1000)).toBe(BURST - total);
    expect(await bucket().take(1)).toBe(0);
  });

  it('refills at its rate, never above its burst', async () => {
    const first = bucket();
    expect(await first.take(BURST)).toBe(BURST);
    clock += 200;
    // 0.2 s at 100/s: 20 tokens, seen by a consumer that never read the bucket before.
    expect(await bucket().take(BURST)).toBe(20);
    clock += 60_000;
    expect(await first.take(1000)).toBe(BURST);
  });

  it('grants nothing more when a consumer clock runs behind the last write', async () => {
    const ahead = bucket();
    expect(await ahead.take(BURST)).toBe(BURST);
    clock -= 10_000;
    expect(await bucket().take(10)).toBe(0);
  });

  it('shares one rate among consumers taking in turns over time', async () => {
    const consumers = Array.from({ length: 4 }, () => bucket());
    let total = 0;
    for (let step = 0; step < 20; step += 1) {
      const granted = await Promise.all(consumers.map((each) => each.take(10)));
      total += granted.reduce((sum, count) => sum + count, 0);
      clock += 100;
    }
    // The burst, then 2 s at 100/s (the last step's refill is not taken).
    expect(total).toBeLessThanOrEqual(BURST + RATE * 1.9);
    expect(total).toBeGreaterThan(0);
  });
});
