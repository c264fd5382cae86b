import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { JobLedgerOptions, LedgerEntry } from './types';

/**
 * The item a refused write handed back (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, or a
 * transaction's cancellation reason), unmarshalled: the document client leaves it raw.
 */
export function refusedItem(raw: unknown): LedgerEntry {
  return unmarshall(raw as Parameters<typeof unmarshall>[0]) as LedgerEntry;
}

/**
 * The ledger's items in the state table: the document client, each job's key, a history line stamped
 * with the ledger's clock and the expiry an item is given. Every part of the ledger writes through it.
 */
export class LedgerTable {
  readonly documents: DynamoDBDocumentClient;
  readonly options: JobLedgerOptions;

  constructor(options: JobLedgerOptions) {
    this.options = options;
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  key(jobId: string) {
    return { pk: `job#${this.options.scope}#${jobId}`, sk: 'ledger' };
  }

  /** A history line: the note, stamped with the ledger's clock (300 characters at most). */
  line(note: string): string {
    return `${new Date(this.options.now()).toISOString()} ${note}`.slice(0, 300);
  }

  /** When DynamoDB's TTL may remove an item written now (epoch seconds). */
  keepUntil(): number {
    return Math.floor(this.options.now() / 1000) + this.options.keepSeconds;
  }

  /** The job's item, read consistently. */
  async get(jobId: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.documents.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: this.key(jobId),
        ConsistentRead: true,
      }),
    );
    return Item as LedgerEntry | undefined;
  }
}
