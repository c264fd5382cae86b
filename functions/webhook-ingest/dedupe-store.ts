import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { remainingMs } from '../../shared/clients/deadline';
import {
  ConnectorError,
  DeliveryInProgressError,
  DependencyError,
  RateLimitedError,
} from '../../shared/errors';
import type { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { CeilingClaimLayer, CeilingFullError } from './ceiling-claim-layer';
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
 * The dedupe store on Powertools Idempotency (DynamoDB), whose claim also takes the abuse ceiling's
 * slot in the same transaction ({@link CeilingClaimLayer}). Powertools' errors stop here: a duplicate
 * in flight becomes a 409, a full ceiling a 429, the store failing a 503, and an error of the work
 * itself passes through as it is (Powertools has deleted the in-progress record by then, so a retry
 * does the work). Without a `ceiling` (benchmarks measuring the claim alone) no slot is taken.
 */
export function powertoolsDedupe(
  settings: DedupeSettings,
  client: DynamoDBClient,
  ceiling: FixedWindowCeiling | undefined,
) {
  const persistenceStore = new CeilingClaimLayer({ tableName: settings.tableName, client });
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
      persistenceStore,
      config: idempotency,
      keyPrefix: 'webhook-ingest',
      dataIndexArgument: 0,
    },
  );

  const store: DedupeStore = {
    async once(key, work, slot) {
      let performed = false;
      try {
        const claimAndWork = () =>
          run({ key }, () => {
            performed = true;
            return work();
          });
        const result = ceiling
          ? await persistenceStore.withSlot(
              () => ceiling.slotUpdate(slot.key, slot.limitPerSecond),
              claimAndWork,
            )
          : await claimAndWork();
        return { result, performed };
      } catch (error) {
        if (error instanceof WorkFailed) throw error.cause;
        if (
          error instanceof IdempotencyPersistenceLayerError &&
          error.cause instanceof CeilingFullError
        ) {
          throw new RateLimitedError(
            `Source ${slot.key} is over its ceiling of ${slot.limitPerSecond} requests per second`,
            1,
          );
        }
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
