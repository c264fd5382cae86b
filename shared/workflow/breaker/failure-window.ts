import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BreakerSettings } from './types';

/**
 * The breaker's failure window in the state table: each flush `ADD`s a container's counts into a
 * short time bucket, and the window is the sum of the buckets of the last `windowSeconds`.
 */
export class FailureWindow {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pk: string;
  readonly #settings: BreakerSettings;

  constructor(
    documents: DynamoDBDocumentClient,
    table: string,
    pk: string,
    settings: BreakerSettings,
  ) {
    this.#documents = documents;
    this.#table = table;
    this.#pk = pk;
    this.#settings = settings;
  }

  /** Adds calls and failures to the bucket `now` falls in (one `UpdateItem`). */
  async add(now: number, calls: number, failures: number): Promise<void> {
    const bucketMs = this.#settings.bucketSeconds * 1000;
    const bucket = Math.floor(now / bucketMs) * bucketMs;
    await this.#documents.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: this.#pk, sk: `bucket#${String(bucket).padStart(15, '0')}` },
        UpdateExpression: 'ADD #calls :calls, #failures :failures SET #expiresAt = :expires',
        ExpressionAttributeNames: {
          '#calls': 'calls',
          '#failures': 'failures',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':calls': calls,
          ':failures': failures,
          ':expires': Math.floor(now / 1000) + this.#settings.windowSeconds + 3600,
        },
      }),
    );
  }

  /** The calls and failures of the window ending `now`, none from before `closedAt`. */
  async count(now: number, closedAt: number): Promise<{ calls: number; failures: number }> {
    const bucketMs = this.#settings.bucketSeconds * 1000;
    // Buckets from before the last close do not count: they are what opened it.
    const start = Math.max(
      Math.floor((now - this.#settings.windowSeconds * 1000) / bucketMs) * bucketMs,
      Math.ceil(closedAt / bucketMs) * bucketMs,
    );
    const { Items = [] } = await this.#documents.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': this.#pk,
          ':from': `bucket#${String(start).padStart(15, '0')}`,
          ':to': `bucket#${String(now).padStart(15, '0')}`,
        },
        ConsistentRead: true,
      }),
    );
    let calls = 0;
    let failures = 0;
    for (const bucket of Items) {
      calls += Number(bucket.calls ?? 0);
      failures += Number(bucket.failures ?? 0);
    }
    return { calls, failures };
  }
}
