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
  /** Picks a shard; injected so tests are deterministic. */
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
 * An abuse ceiling counted in one-second fixed windows, shared by every container: one conditional
 * `UpdateItem ADD` per request, no read-modify-write, so it holds under concurrency without retries.
 */
export class FixedWindowCeiling {
  readonly #options: FixedWindowCeilingOptions;

  constructor(options: FixedWindowCeilingOptions) {
    this.#options = options;
  }

  /** Counts one request for `key` and says whether it is within `limitPerSecond`. */
  async take(key: string, limitPerSecond: number): Promise<CeilingDecision> {
    const { client, tableName, shards, now, random = Math.random } = this.#options;
    const second = Math.floor(now() / 1000);
    const shard = Math.floor(random() * shards) % shards;
    const perShard = Math.ceil(limitPerSecond / shards);
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
      return { allowed: true, retryAfterSeconds: 1 };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { allowed: false, retryAfterSeconds: 1 };
      }
      throw new DependencyError('The rate limit store is unavailable', { cause: error });
    }
  }
}
