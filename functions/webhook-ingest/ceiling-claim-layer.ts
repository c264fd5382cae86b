import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdempotencyItemAlreadyExistsError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import {
  type AttributeValue,
  type DynamoDBClient,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConnectorError } from '../../shared/errors';
import type { CeilingSlotUpdate } from '../../shared/rate-limit/fixed-window-ceiling';

/** Thrown by the claim when the abuse ceiling is full: nothing was claimed and no slot was taken. */
export class CeilingFullError extends ConnectorError {}

/**
 * Powertools' default attribute names, spelled out because the parent keeps its own copies private:
 * records written by the transaction must read back exactly as Powertools writes them.
 */
const ATTRIBUTES = {
  keyAttr: 'id',
  statusAttr: 'status',
  expiryAttr: 'expiration',
  inProgressExpiryAttr: 'in_progress_expiration',
  dataAttr: 'data',
  validationKeyAttr: 'validation',
} as const;

/**
 * Transactions that touch an item another transaction holds are cancelled with `TransactionConflict`
 * (the ceiling's counter is hot by design); they are retried a few times, briefly, with jitter.
 */
const CONFLICT_ATTEMPTS = 5;
const CONFLICT_BACKOFF_MS = 10;

/** Settings for {@link CeilingClaimLayer}. */
export interface CeilingClaimLayerOptions {
  tableName: string;
  client: DynamoDBClient;
}

const isConflict = (error: unknown) =>
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict')) ||
  (error instanceof Error && error.name === 'TransactionConflictException');

async function retryingConflicts<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= CONFLICT_ATTEMPTS || !isConflict(error)) throw error;
      await sleep(CONFLICT_BACKOFF_MS * attempt * (0.5 + Math.random()));
    }
  }
}

/**
 * Powertools' DynamoDB persistence layer whose in-progress claim also takes the request's abuse
 * ceiling slot, in one `TransactWriteItems` round trip instead of two sequential writes: item 0 is
 * the claim with Powertools' own condition, item 1 the ceiling's conditional `ADD`. A duplicate fails
 * item 0 and cancels the whole transaction, so it spends no slot; a full ceiling fails item 1, so
 * nothing is claimed. Hand-written because Powertools has no hook to add items to its claim; it only
 * lets a subclass replace `_putRecord`, which must then throw `IdempotencyItemAlreadyExistsError`
 * with the existing record so Powertools' in-progress and completed handling still works.
 * A claim made outside {@link withSlot} is Powertools' plain conditional put.
 */
export class CeilingClaimLayer extends DynamoDBPersistenceLayer {
  readonly #table: string;
  readonly #client: DynamoDBClient;
  readonly #slots = new AsyncLocalStorage<() => CeilingSlotUpdate>();

  constructor(options: CeilingClaimLayerOptions) {
    super({ tableName: options.tableName, awsSdkV3Client: options.client, ...ATTRIBUTES });
    this.#table = options.tableName;
    this.#client = options.client;
  }

  /** Runs `fn` so that every claim it makes also takes the slot `slot()` describes. */
  withSlot<T>(slot: () => CeilingSlotUpdate, fn: () => Promise<T>): Promise<T> {
    return this.#slots.run(slot, fn);
  }

  protected override async _putRecord(record: IdempotencyRecord): Promise<void> {
    const slot = this.#slots.getStore();
    if (!slot) return retryingConflicts(() => super._putRecord(record));
    try {
      await retryingConflicts(() => this.#claimWithSlot(record, slot()));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const [claim, ceiling] = error.CancellationReasons ?? [];
      if (claim?.Code === 'ConditionalCheckFailed') {
        throw new IdempotencyItemAlreadyExistsError(
          `Failed to put record for already existing idempotency key: ${record.idempotencyKey}`,
          claim.Item && this.#recordOf(claim.Item),
        );
      }
      if (ceiling?.Code === 'ConditionalCheckFailed') {
        throw new CeilingFullError('The abuse ceiling is full', { cause: error });
      }
      throw error;
    }
  }

  protected override _updateRecord(record: IdempotencyRecord): Promise<void> {
    return retryingConflicts(() => super._updateRecord(record));
  }

  protected override _deleteRecord(record: IdempotencyRecord): Promise<void> {
    return retryingConflicts(() => super._deleteRecord(record));
  }

  /** Powertools' conditional put (as its `_putRecord` builds it) and the slot, as one transaction. */
  async #claimWithSlot(record: IdempotencyRecord, slot: CeilingSlotUpdate): Promise<void> {
    const item: Record<string, AttributeValue> = {
      ...this.getKey(record.idempotencyKey),
      [ATTRIBUTES.expiryAttr]: { N: String(record.expiryTimestamp) },
      [ATTRIBUTES.statusAttr]: { S: record.getStatus() },
    };
    if (record.inProgressExpiryTimestamp !== undefined) {
      item[ATTRIBUTES.inProgressExpiryAttr] = { N: String(record.inProgressExpiryTimestamp) };
    }
    if (this.isPayloadValidationEnabled() && record.payloadHash !== undefined) {
      item[ATTRIBUTES.validationKeyAttr] = { S: record.payloadHash };
    }
    const now = Date.now();
    await this.#client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.#table,
              Item: item,
              // New, or expired, or in progress past its invocation's end: Powertools' condition.
              ConditionExpression:
                'attribute_not_exists(#id) OR #expiry < :now OR ' +
                '(#status = :inprogress AND attribute_exists(#in_progress_expiry) AND ' +
                '#in_progress_expiry < :now_in_millis)',
              ExpressionAttributeNames: {
                '#id': ATTRIBUTES.keyAttr,
                '#expiry': ATTRIBUTES.expiryAttr,
                '#in_progress_expiry': ATTRIBUTES.inProgressExpiryAttr,
                '#status': ATTRIBUTES.statusAttr,
              },
              ExpressionAttributeValues: {
                ':now': { N: String(now / 1000) },
                ':now_in_millis': { N: String(now) },
                ':inprogress': { S: 'INPROGRESS' },
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          { Update: slot },
        ],
      }),
    );
  }

  /** The existing record a failed claim returned, read as Powertools' `_getRecord` reads it. */
  #recordOf(raw: Record<string, AttributeValue>): IdempotencyRecord {
    const item = unmarshall(raw);
    return new IdempotencyRecord({
      idempotencyKey: item[ATTRIBUTES.keyAttr],
      status: item[ATTRIBUTES.statusAttr],
      expiryTimestamp: item[ATTRIBUTES.expiryAttr],
      inProgressExpiryTimestamp: item[ATTRIBUTES.inProgressExpiryAttr],
      responseData: item[ATTRIBUTES.dataAttr],
      payloadHash: item[ATTRIBUTES.validationKeyAttr],
    });
  }
}
