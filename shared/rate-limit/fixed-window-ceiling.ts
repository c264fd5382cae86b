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
 */
export class FixedWindowCeiling {
  readonly #options: FixedWindowCeilingOptions;
  #next: number;
  /** Per key: the window second and the shards known to be full in it. */
  readonly #full = new Map<string, { second: number; shards: Set<number> }>();

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

  /** One conditional `ADD` on one counter: true when counted, false when that counter is full. */
  async #add(key: string, second: number, shard: number, perShard: number): Promise<boolean> {
    const { client, tableName } = this.#options;
    const counter = `ceiling#${key}#${second}#${shard}`;
    try {
      await client.send(
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
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new DependencyError('The rate limit store is unavailable', { cause: error });
    }
  }
}
