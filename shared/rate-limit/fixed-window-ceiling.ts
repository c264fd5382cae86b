import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { DependencyError } from '../errors';

/** Settings for {@link FixedWindowCeiling}. */
export interface FixedWindowCeilingOptions {
  client: DynamoDBClient;
  tableName: string;
  /**
   * Counters per window. One DynamoDB partition takes about 1,000 writes a second, so a ceiling above
   * that needs its count spread over several keys; each shard then allows `ceil(limit / shards)`.
   */
  shards: number;
  now: () => number;
  /** Picks the container's first shard; injected so tests are deterministic. */
  random?: () => number;
}

/** The outcome of one request against the ceiling. */
export interface CeilingDecision {
  allowed: boolean;
  /** Seconds until the current window ends (at least 1). */
  retryAfterSeconds: number;
}

/**
 * A slot taken ahead of the dedupe claim, concurrently with it. `giveBack` returns the slot when the
 * request turns out to be a duplicate (or its claim failed), so a duplicate holds a slot only for the
 * moment between the two answers.
 */
export interface CeilingReservation extends CeilingDecision {
  giveBack(): Promise<void>;
}

/** Counters outlive their window by this much, then DynamoDB's TTL removes them. */
const KEEP_SECONDS = 120;
/**
 * The counters allow this share over the limit (when it is more than the `shards - 1` that rounding
 * already allows): it covers the slots that containers leased and could not spend before their
 * window ended, so a source sending exactly its limit is not refused for them.
 */
const OVER_LIMIT_SHARE = 0.01;
/** A block is at most this share of one counter's allowance. */
const MAX_BLOCK_SHARE = 0.05;

/** The slots one counter allows: the limit spread over the shards, rounded up, plus the 1 % slack. */
export function perShardAllowance(limitPerSecond: number, shards: number): number {
  return Math.max(
    Math.ceil(limitPerSecond / shards),
    Math.floor((limitPerSecond * (1 + OVER_LIMIT_SHARE)) / shards),
  );
}

/**
 * An abuse ceiling counted in one-second fixed windows, shared by every container. Counting is a
 * conditional `UpdateItem ADD` on one of `shards` counters (no read-modify-write, so it holds under
 * concurrency without retries); each counter allows {@link perShardAllowance}, so the window admits
 * at most `limit + 1 %` (or `limit + shards - 1` when that is more).
 *
 * Slots are leased in blocks: one `ADD` of `n` (only while the counter has room for all `n`) gives
 * this container `n` slots to spend locally, so most requests make no ceiling write. Slots still
 * unspent when the window ends expire with it: the ceiling then admits a little less, never more. The
 * block is sized so that this stays small: at most what this container spent in the previous second
 * times half the time left in this window (it is likely spent before the window ends), at most a
 * quarter of the room this container last saw on the counter, and at most 5 % of the counter's
 * allowance; a container that has not yet seen a full second of its own traffic takes one slot at a
 * time. A block the counter has no room for is retried as a single slot.
 *
 * The shard is not drawn per write: each container starts at a random shard (so containers do not
 * all start on shard 0) and then goes round the shards in turn, which spreads the writes evenly. A
 * write whose shard is full moves on to the next shard instead of being refused, so nothing is refused
 * while any shard of the window has room. A container remembers, for the rest of the second, which
 * shards answered full, and skips them: once every shard is full, refusing costs no write at all, so
 * a flood above the limit does not hammer the counters.
 *
 * {@link takeAhead} lets ingest take its slot concurrently with the dedupe claim instead of after it,
 * saving a round trip, but only while this container's lease is empty (a leased slot costs no round
 * trip after the claim) and it last saw the key's counter at most half full: near the limit, a
 * duplicate holding a slot for a moment could make a new event's take fail, so there the slot is
 * taken after the claim, as {@link take} does.
 */
export class FixedWindowCeiling {
  readonly #options: FixedWindowCeilingOptions;
  #next: number;
  /** Per key: the window second and the shards known to be full in it. */
  readonly #full = new Map<string, { second: number; shards: Set<number> }>();
  /** Per key: the last count a write of this container saw on a counter, and its window second. */
  readonly #seen = new Map<string, { second: number; count: number }>();
  /**
   * Per key: this container's lease in the window `second` (slots counted but not yet spent), and
   * the slots it spent in that window and in the second before it.
   */
  readonly #leases = new Map<
    string,
    { second: number; slots: number; spent: number; spentBefore: number }
  >();

  constructor(options: FixedWindowCeilingOptions) {
    this.#options = options;
    const { shards, random = Math.random } = options;
    this.#next = Math.floor(random() * shards) % shards;
  }

  /** Counts one request for `key` and says whether it is within `limitPerSecond`. */
  async take(key: string, limitPerSecond: number): Promise<CeilingDecision> {
    const { shards, now } = this.#options;
    const at = now();
    const second = Math.floor(at / 1000);
    const perShard = perShardAllowance(limitPerSecond, shards);
    const lease = this.#lease(key, second);
    if (lease.slots > 0) {
      lease.slots -= 1;
      lease.spent += 1;
      return { allowed: true, retryAfterSeconds: 1 };
    }
    let known = this.#full.get(key);
    if (!known || known.second !== second) {
      known = { second, shards: new Set() };
      this.#full.set(key, known);
    }
    const start = this.#next;
    this.#next = (this.#next + 1) % shards;
    for (let step = 0; step < shards; step += 1) {
      const shard = (start + step) % shards;
      if (known.shards.has(shard)) continue;
      const block = this.#blockSize(key, at, perShard);
      let taken = await this.#add(key, second, shard, perShard, block);
      if (!taken && block > 1) taken = await this.#add(key, second, shard, perShard, 1);
      if (taken) {
        this.#credit(key, second, taken - 1);
        return { allowed: true, retryAfterSeconds: 1 };
      }
      known.shards.add(shard);
    }
    return { allowed: false, retryAfterSeconds: 1 };
  }

  /**
   * Takes a slot ahead of the dedupe claim when this container's lease is empty and it saw the key's
   * counter at most half full in this window or the one before; otherwise (a leased slot is at hand,
   * no count seen yet, or near the limit) returns `undefined` and the caller uses {@link take} after
   * its claim. One write (of a block, as {@link take} sizes it) on the next shard in turn; a refusal
   * is not remembered as a full shard (duplicates in flight may hold its slots for a moment): the
   * caller falls back to {@link take}, which walks the shards. A slot given back returns to the
   * counter when it was taken alone, else to this container's lease (no write).
   */
  takeAhead(key: string, limitPerSecond: number): Promise<CeilingReservation> | undefined {
    const { shards, now } = this.#options;
    const at = now();
    const second = Math.floor(at / 1000);
    const perShard = perShardAllowance(limitPerSecond, shards);
    if (this.#lease(key, second).slots > 0) return undefined;
    const seen = this.#seen.get(key);
    if (!seen || second - seen.second > 1 || seen.count * 2 > perShard) return undefined;
    const known = this.#full.get(key);
    const shard = this.#next;
    this.#next = (this.#next + 1) % shards;
    if (known?.second === second && known.shards.has(shard)) return undefined;
    const block = this.#blockSize(key, at, perShard);
    return this.#add(key, second, shard, perShard, block).then((taken) => {
      if (taken) this.#credit(key, second, taken - 1);
      return {
        allowed: taken > 0,
        retryAfterSeconds: 1,
        giveBack: async () => {
          if (taken === 0) return;
          if (taken === 1) return this.#giveBack(key, second, shard);
          this.#returnToLease(key, second);
        },
      };
    });
  }

  /** This container's lease of `key` in window `second`, started afresh when the window changed. */
  #lease(key: string, second: number) {
    let lease = this.#leases.get(key);
    if (!lease || lease.second !== second) {
      const spentBefore = lease?.second === second - 1 ? lease.spent : 0;
      lease = { second, slots: 0, spent: 0, spentBefore };
      this.#leases.set(key, lease);
    }
    return lease;
  }

  /** Records one slot spent and `spare` more leased to this container. */
  #credit(key: string, second: number, spare: number): void {
    const lease = this.#lease(key, second);
    lease.spent += 1;
    lease.slots += spare;
  }

  /** A slot spent from a block, given back by a duplicate: it returns to the lease if still current. */
  #returnToLease(key: string, second: number): void {
    const lease = this.#leases.get(key);
    if (lease?.second !== second) return;
    lease.slots += 1;
    lease.spent -= 1;
  }

  /** How many slots the next write leases (see the class comment): 1 without a full second's rate. */
  #blockSize(key: string, at: number, perShard: number): number {
    const second = Math.floor(at / 1000);
    const { spentBefore } = this.#lease(key, second);
    const secondsLeft = (1000 - (at - second * 1000)) / 1000;
    const seen = this.#seen.get(key);
    const room = seen?.second === second ? perShard - seen.count : perShard;
    const block = Math.min(
      Math.floor((spentBefore * secondsLeft) / 2),
      Math.floor(room / 4),
      Math.floor(perShard * MAX_BLOCK_SHARE),
    );
    return Math.max(1, block);
  }

  /** Returns one slot to a counter (an unconditional `ADD -1`). */
  async #giveBack(key: string, second: number, shard: number): Promise<void> {
    const { client, tableName } = this.#options;
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: `ceiling#${key}#${second}#${shard}` }, sk: { S: 'window' } },
          UpdateExpression: 'ADD #count :minusOne',
          ExpressionAttributeNames: { '#count': 'count' },
          ExpressionAttributeValues: { ':minusOne': { N: '-1' } },
        }),
      );
    } catch (error) {
      throw new DependencyError('The rate limit store is unavailable', { cause: error });
    }
  }

  /**
   * One conditional `ADD` of `block` slots on one counter, only if all of them fit: the slots
   * counted (`block`), or 0 when the counter has no room for them.
   */
  async #add(
    key: string,
    second: number,
    shard: number,
    perShard: number,
    block: number,
  ): Promise<number> {
    const { client, tableName } = this.#options;
    const counter = `ceiling#${key}#${second}#${shard}`;
    const expiresAt = { N: String(second + KEEP_SECONDS) };
    // One slot: the plain "count below the allowance"; a block: "room left for the whole block".
    const write: Pick<
      UpdateItemCommandInput,
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'
    > =
      block === 1
        ? {
            UpdateExpression:
              'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeValues: {
              ':one': { N: '1' },
              ':limit': { N: String(perShard) },
              ':expiresAt': expiresAt,
            },
          }
        : {
            UpdateExpression:
              'ADD #count :block SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
            ConditionExpression: 'attribute_not_exists(#count) OR #count <= :room',
            ExpressionAttributeValues: {
              ':block': { N: String(block) },
              ':room': { N: String(perShard - block) },
              ':expiresAt': expiresAt,
            },
          };
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: counter }, sk: { S: 'window' } },
          UpdateExpression: write.UpdateExpression,
          ConditionExpression: write.ConditionExpression,
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: write.ExpressionAttributeValues,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = Number(Attributes?.count?.N);
      if (Number.isFinite(count)) this.#seen.set(key, { second, count });
      return block;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // A refused block says only that the room is below it; a refused single slot: full.
        this.#seen.set(key, { second, count: block === 1 ? perShard : perShard - block + 1 });
        return 0;
      }
      throw new DependencyError('The rate limit store is unavailable', { cause: error });
    }
  }
}
