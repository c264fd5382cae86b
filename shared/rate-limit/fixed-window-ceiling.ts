import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  UpdateItemCommand,
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
 * An abuse ceiling counted in one-second fixed windows, shared by every container. Each request is one
 * conditional `UpdateItem ADD` on one of `shards` counters (no read-modify-write, so it holds under
 * concurrency without retries); each counter allows `ceil(limit / shards)`, so the window admits at most
 * `limit + shards - 1`.
 *
 * The shard is not drawn per request: each container starts at a random shard (so containers do not all
 * start on shard 0) and then goes round the shards in turn, which spreads the writes evenly. A request
 * whose shard is full moves on to the next shard instead of being refused, so nothing is refused while
 * any shard of the window has room (a random draw refused early: one shard filled before the others).
 * A container remembers, for the rest of the second, which shards answered full, and skips them: once
 * every shard is full, refusing costs no write at all, so a flood above the limit does not hammer the
 * counters.
 *
 * {@link takeAhead} lets ingest take its slot concurrently with the dedupe claim instead of after it,
 * saving a round trip, but only while this container last saw the key's counter at most half full:
 * near the limit, a duplicate holding a slot for a moment could make a new event's take fail, so
 * there the slot is taken after the claim, as {@link take} does.
 */
export class FixedWindowCeiling {
  readonly #options: FixedWindowCeilingOptions;
  #next: number;
  /** Per key: the window second and the shards known to be full in it. */
  readonly #full = new Map<string, { second: number; shards: Set<number> }>();
  /** Per key: the last count a write of this container saw on a counter, and its window second. */
  readonly #seen = new Map<string, { second: number; count: number }>();

  constructor(options: FixedWindowCeilingOptions) {
    this.#options = options;
    const { shards, random = Math.random } = options;
    this.#next = Math.floor(random() * shards) % shards;
  }

  /** Counts one request for `key` and says whether it is within `limitPerSecond`. */
  async take(key: string, limitPerSecond: number): Promise<CeilingDecision> {
    const { shards, now } = this.#options;
    const second = Math.floor(now() / 1000);
    const perShard = Math.ceil(limitPerSecond / shards);
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
      if (await this.#add(key, second, shard, perShard)) {
        return { allowed: true, retryAfterSeconds: 1 };
      }
      known.shards.add(shard);
    }
    return { allowed: false, retryAfterSeconds: 1 };
  }

  /**
   * Takes a slot ahead of the dedupe claim when this container saw the key's counter at most half
   * full in this window or the one before; otherwise (no count seen yet, or near the limit) returns
   * `undefined` and the caller uses {@link take} after its claim. One write on the next shard in turn;
   * a refusal is not remembered as a full shard (duplicates in flight may hold its slots for a
   * moment): the caller falls back to {@link take}, which walks the shards.
   */
  takeAhead(key: string, limitPerSecond: number): Promise<CeilingReservation> | undefined {
    const { shards, now } = this.#options;
    const second = Math.floor(now() / 1000);
    const perShard = Math.ceil(limitPerSecond / shards);
    const seen = this.#seen.get(key);
    if (!seen || second - seen.second > 1 || seen.count * 2 > perShard) return undefined;
    const known = this.#full.get(key);
    const shard = this.#next;
    this.#next = (this.#next + 1) % shards;
    if (known?.second === second && known.shards.has(shard)) return undefined;
    return this.#add(key, second, shard, perShard).then((allowed) => ({
      allowed,
      retryAfterSeconds: 1,
      giveBack: allowed ? () => this.#giveBack(key, second, shard) : async () => undefined,
    }));
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

  /** One conditional `ADD` on one counter: true when counted, false when that counter is full. */
  async #add(key: string, second: number, shard: number, perShard: number): Promise<boolean> {
    const { client, tableName } = this.#options;
    const counter = `ceiling#${key}#${second}#${shard}`;
    try {
      const { Attributes } = await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { pk: { S: counter }, sk: { S: 'window' } },
          UpdateExpression:
            'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':limit': { N: String(perShard) },
            ':expiresAt': { N: String(second + KEEP_SECONDS) },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const count = Number(Attributes?.count?.N);
      if (Number.isFinite(count)) this.#seen.set(key, { second, count });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.#seen.set(key, { second, count: perShard });
        return false;
      }
      throw new DependencyError('The rate limit store is unavailable', { cause: error });
    }
  }
}
