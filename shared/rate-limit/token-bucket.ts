import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** Settings for {@link TokenBucket}. */
export interface TokenBucketOptions {
  client: DynamoDBClient;
  tableName: string;
  /** One bucket per provider account: every consumer that names it shares it. */
  name: string;
  /** Tokens (messages) added per second. */
  ratePerSecond: number;
  /** Most tokens the bucket holds: the largest burst, at least one full provider call. */
  burst: number;
  /** Bucket items outlive a quiet period by this much, then TTL removes them (they refill anyway). */
  keepSeconds?: number;
  /**
   * A waiting taker is satisfied with what the rate brings in this long (none: with all it wants, up
   * to the burst). Consumers sharing the bucket then take turns in small lumps: one that waits for
   * all it holds loses every race to those that want less, and can wait out its invocation with
   * nothing (issue 19: whole batches deferred under a sustained backlog).
   */
  lumpSeconds?: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

interface BucketState {
  tokens: number;
  updatedAt: number;
  version: number;
}

/**
 * A token bucket in the state table, shared by every concurrent consumer. Each grant is one
 * conditional write on a version number (optimistic, no lock); tokens are taken in chunks, so a
 * 500-message call usually costs one write. Take tokens right before the call they pay for. The last state seen is kept in memory and a lost race hands
 * back the current item, so there is no read before a write. A clock that moved backwards is clamped.
 */
export class TokenBucket {
  readonly #options: TokenBucketOptions;
  readonly #documents: DynamoDBDocumentClient;
  #state: BucketState | undefined;
  /** DynamoDB writes made, for the benchmark's writes-per-message figure. */
  writes = 0;

  constructor(options: TokenBucketOptions) {
    this.#options = options;
    this.#documents = DynamoDBDocumentClient.from(options.client);
  }

  #key() {
    return { pk: `bucket#${this.#options.name}`, sk: 'bucket' };
  }

  /**
   * Waits (at most `maxWaitMs`) until the bucket holds enough for a good share of `want` (all of it,
   * or what the rate brings in `maxWaitMs` or in `lumpSeconds`), then resolves to the tokens available. Reads only:
   * nothing is taken, so a caller can size its work before {@link take}.
   */
  async waitForTokens(want: number, maxWaitMs: number): Promise<number> {
    const { now, sleep, ratePerSecond, burst } = this.#options;
    const deadline = now() + maxWaitMs;
    const lump = this.#options.lumpSeconds;
    const enough = Math.max(
      1,
      Math.min(
        want,
        burst,
        Math.floor((ratePerSecond * maxWaitMs) / 1000),
        lump === undefined ? Number.POSITIVE_INFINITY : Math.floor(ratePerSecond * lump),
      ),
    );
    for (let round = 0; round < 100; round += 1) {
      const state = this.#state ?? (await this.#read());
      const at = now();
      const available = this.#available(state, at);
      if (available >= enough || at >= deadline) return Math.floor(available);
      // A little jitter, so batchers waiting on one bucket do not all wake at the same moment.
      const waitMs = Math.ceil(((enough - available) * 1000) / ratePerSecond + Math.random() * 20);
      await sleep(Math.max(1, Math.min(waitMs, deadline - at)));
      // Another consumer may have taken tokens meanwhile: start from the stored state.
      this.#state = undefined;
    }
    return 0;
  }

  /**
   * Takes up to `want` tokens in one conditional write, after waiting at most `maxWaitMs` as
   * {@link waitForTokens} does; resolves to the number granted (possibly 0). Tokens are taken in
   * one go and spent at once: tokens gathered over a wait and sent together would reach the provider
   * as one lump, above the rate.
   */
  async take(want: number, maxWaitMs = 0): Promise<number> {
    if (maxWaitMs > 0) await this.waitForTokens(want, maxWaitMs);
    for (let round = 0; round < 20; round += 1) {
      const state = this.#state ?? (await this.#read());
      const at = this.#options.now();
      const available = this.#available(state, at);
      const grant = Math.min(want, Math.floor(available));
      if (grant <= 0) return 0;
      if (await this.#write(state, available - grant, at)) return grant;
    }
    return 0;
  }

  #available(state: BucketState, at: number): number {
    const elapsed = Math.max(0, at - state.updatedAt);
    return Math.min(
      this.#options.burst,
      state.tokens + (elapsed * this.#options.ratePerSecond) / 1000,
    );
  }

  async #read(): Promise<BucketState> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: this.#key(),
        ConsistentRead: true,
      }),
    );
    return Item ? toState(Item) : { tokens: this.#options.burst, updatedAt: 0, version: 0 };
  }

  /** One conditional write; false (with the current state remembered) when another consumer won. */
  async #write(state: BucketState, tokens: number, at: number): Promise<boolean> {
    const next: BucketState = {
      tokens,
      updatedAt: Math.max(at, state.updatedAt),
      version: state.version + 1,
    };
    this.writes += 1;
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: this.#key(),
          UpdateExpression:
            'SET #tokens = :tokens, #updatedAt = :updatedAt, #version = :next, #expiresAt = :expiresAt',
          ConditionExpression:
            state.version === 0
              ? 'attribute_not_exists(#version) OR #version = :current'
              : '#version = :current',
          ExpressionAttributeNames: {
            '#tokens': 'tokens',
            '#updatedAt': 'updatedAt',
            '#version': 'version',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':tokens': next.tokens,
            ':updatedAt': next.updatedAt,
            ':next': next.version,
            ':current': state.version,
            ':expiresAt': Math.floor(at / 1000) + (this.#options.keepSeconds ?? 24 * 3600),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      this.#state = next;
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.#state = error.Item ? toState(unmarshall(error.Item as never)) : undefined;
      return false;
    }
  }
}

function toState(item: Record<string, unknown>): BucketState {
  return {
    tokens: Number(item.tokens ?? 0),
    updatedAt: Number(item.updatedAt ?? 0),
    version: Number(item.version ?? 0),
  };
}

/** What {@link tokenBucketUse} needs to read one bucket. */
export interface TokenBucketUseOptions {
  client: DynamoDBClient;
  tableName: string;
  name: string;
  ratePerSecond: number;
  burst: number;
  now: () => number;
}

/**
 * How much of a bucket is in use right now, in percent (0 when full, 100 when empty), from one
 * eventually consistent read: what the health probe shows. Written beside the bucket so the refill
 * rule is the bucket's own.
 */
export async function tokenBucketUse(
  options: TokenBucketUseOptions,
  signal?: AbortSignal,
): Promise<number> {
  const documents = DynamoDBDocumentClient.from(options.client);
  const { Item } = await documents.send(
    new GetCommand({
      TableName: options.tableName,
      Key: { pk: `bucket#${options.name}`, sk: 'bucket' },
    }),
    signal ? { abortSignal: signal } : {},
  );
  if (!Item) return 0;
  const state = toState(Item);
  const elapsed = Math.max(0, options.now() - state.updatedAt);
  const available = Math.min(
    options.burst,
    state.tokens + (elapsed * options.ratePerSecond) / 1000,
  );
  return Math.round(100 * (1 - available / options.burst));
}
