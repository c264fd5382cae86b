import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * One item per provider account in the state table that every batcher checks before calling: when our
 * token or account is wrong, no batcher keeps calling with it, and the jobs wait instead of failing.
 */
export class ProviderPause {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #key: { pk: string; sk: string };
  readonly #now: () => number;

  constructor(options: {
    client: DynamoDBClient;
    tableName: string;
    account: string;
    now: () => number;
  }) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#key = { pk: `provider#${options.account}`, sk: 'pause' };
    this.#now = options.now;
  }

  /** Milliseconds the provider stays paused, 0 when it is not. */
  async remainingMs(): Promise<number> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: this.#key }),
    );
    const until = Number(Item?.pausedUntil ?? 0);
    return Math.max(0, until - this.#now());
  }

  /** Pauses the provider for `seconds` with a reason an operator can read (never a token). */
  async pause(seconds: number, reason: string): Promise<void> {
    const now = this.#now();
    await this.#documents.send(
      new PutCommand({
        TableName: this.#tableName,
        Item: {
          ...this.#key,
          pausedUntil: now + seconds * 1000,
          reason: reason.slice(0, 300),
          pausedAt: new Date(now).toISOString(),
          expiresAt: Math.floor(now / 1000) + seconds + 86_400,
        },
      }),
    );
  }
}
