import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { remainingMs } from '../../shared/clients/deadline';
import { ConnectorError, DeliveryInProgressError, DependencyError } from '../../shared/errors';
import type { Accepted, DedupeStore } from './ingest';

/** Settings for {@link powertoolsDedupe}. */
export interface DedupeSettings {
  tableName: string;
  /** How long a completed record answers duplicates. */
  expiresAfterSeconds: number;
  /** `Retry-After` of the 409 a duplicate in flight gets. */
  inProgressRetryAfterSeconds: number;
}

/** Marks an error thrown by the work itself, so it is not mistaken for the store failing. */
class WorkFailed extends ConnectorError {}

/**
 * The dedupe store on Powertools Idempotency (DynamoDB). Powertools' errors stop here: a duplicate in
 * flight becomes a 409, the store failing a 503, and an error of the work itself passes through as it
 * is (Powertools has deleted the in-progress record by then, so a retry does the work).
 */
export function powertoolsDedupe(settings: DedupeSettings, client: DynamoDBClient) {
  const idempotency = new IdempotencyConfig({ expiresAfterSeconds: settings.expiresAfterSeconds });
  const run = makeIdempotent(
    async (_key: { key: string }, work: () => Promise<Accepted>) => {
      try {
        return await work();
      } catch (error) {
        throw new WorkFailed('work failed', { cause: error });
      }
    },
    {
      persistenceStore: new DynamoDBPersistenceLayer({
        tableName: settings.tableName,
        awsSdkV3Client: client,
      }),
      config: idempotency,
      keyPrefix: 'webhook-ingest',
      dataIndexArgument: 0,
    },
  );

  const store: DedupeStore = {
    async once(key, work) {
      let performed = false;
      try {
        const result = await run({ key }, () => {
          performed = true;
          return work();
        });
        return { result, performed };
      } catch (error) {
        if (error instanceof WorkFailed) throw error.cause;
        if (error instanceof IdempotencyAlreadyInProgressError) {
          throw new DeliveryInProgressError(
            'An identical delivery is still being processed; retry shortly',
            settings.inProgressRetryAfterSeconds,
            { cause: error },
          );
        }
        throw new DependencyError('The deduplication store is unavailable', { cause: error });
      }
    },
  };

  /**
   * Registers the invocation, so its in-progress records expire with it. They live only as long as
   * the invocation's deadline, not the function's whole timeout: a record left behind by a hung store
   * turns the sender's retry into a 409 for a few seconds at most.
   */
  const register = (context: Context) =>
    idempotency.registerLambdaContext({
      ...context,
      getRemainingTimeInMillis: () =>
        Math.min(context.getRemainingTimeInMillis(), remainingMs() ?? Number.POSITIVE_INFINITY),
    });

  return { store, register };
}
