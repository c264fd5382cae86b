import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { powertoolsDedupe } from '../../functions/webhook-ingest/dedupe-store';
import type { Accepted } from '../../functions/webhook-ingest/ingest';
import { DeliveryInProgressError, RateLimitedError } from '../../shared/errors';
import { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { localStack } from '../helpers/local-stack';
import { lambdaContext } from '../helpers/webhook-requests';

jest.setTimeout(30_000);

describe('dedupe claim and abuse-ceiling slot in one transaction (DynamoDB Local)', () => {
  const state = localStack();
  const stateTable = state.tables.StateTable?.name as string;
  const client = new DynamoDBClient({ endpoint: state.dynamodb, region: state.region });
  afterAll(() => client.destroy());

  /** A store whose ceiling counts in one shard, in a window of the test's own choosing. */
  function setup(clock = { ms: Date.now() + 7_200_000 + Math.floor(Math.random() * 1e9) * 1000 }) {
    const ceiling = new FixedWindowCeiling({
      client,
      tableName: stateTable,
      shards: 1,
      now: () => clock.ms,
    });
    const dedupe = powertoolsDedupe(
      {
        tableName: state.tables.IdempotencyTable?.name as string,
        expiresAfterSeconds: 3600,
        inProgressRetryAfterSeconds: 1,
      },
      client,
      ceiling,
    );
    dedupe.register(lambdaContext());
    const source = `it-claim-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const slotsTaken = async () => {
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: stateTable,
          Key: {
            pk: { S: `ceiling#${source}#${Math.floor(clock.ms / 1000)}#0` },
            sk: { S: 'window' },
          },
          ConsistentRead: true,
        }),
      );
      return Number(Item?.count?.N ?? 0);
    };
    return { store: dedupe.store, clock, source, slotsTaken };
  }
  const accepted = (eventId: string): Accepted => ({ eventId, routes: 1, status: 'accepted' });

  it('takes one slot with a new claim and none for a stored duplicate', async () => {
    const { store, source, slotsTaken } = setup();
    const slot = { key: source, limitPerSecond: 5 };

    const first = await store.once(`${source}:a`, async () => accepted('a'), slot);
    const again = await store.once(`${source}:a`, async () => accepted('other'), slot);

    expect(first).toEqual({ result: accepted('a'), performed: true });
    expect(again).toEqual({ result: accepted('a'), performed: false });
    expect(await slotsTaken()).toBe(1);
  });

  it('answers a duplicate in flight with 409 from the existing record, taking no slot', async () => {
    const { store, source, slotsTaken } = setup();
    const slot = { key: source, limitPerSecond: 5 };
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running = store.once(
      `${source}:b`,
      async () => {
        await held;
        return accepted('b');
      },
      slot,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const duplicate = store.once(`${source}:b`, async () => accepted('b'), slot);

    await expect(duplicate).rejects.toBeInstanceOf(DeliveryInProgressError);
    release();
    expect((await running).performed).toBe(true);
    expect(await slotsTaken()).toBe(1);
  });

  it('refuses a new event over a full ceiling with 429 and claims nothing', async () => {
    const { store, source, clock, slotsTaken } = setup();
    const slot = { key: source, limitPerSecond: 1 };
    await store.once(`${source}:c`, async () => accepted('c'), slot);
    const work = jest.fn(async () => accepted('d'));

    const refused = store.once(`${source}:d`, work, slot);

    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    expect(work).not.toHaveBeenCalled();
    expect(await slotsTaken()).toBe(1);
    // Nothing was claimed: in the next window the same event is worked on, not answered 409.
    clock.ms += 1000;
    expect(await store.once(`${source}:d`, work, slot)).toEqual({
      result: accepted('d'),
      performed: true,
    });
  });

  it('gives each of 20 concurrent new events a slot on the same hot counter', async () => {
    const { store, source, slotsTaken } = setup();
    const slot = { key: source, limitPerSecond: 100 };

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.once(`${source}:hot-${i}`, async () => accepted(`hot-${i}`), slot),
      ),
    );

    expect(results.every((r) => r.performed)).toBe(true);
    expect(await slotsTaken()).toBe(20);
  });
});
