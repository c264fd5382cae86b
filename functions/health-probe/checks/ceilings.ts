import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type KeysAndAttributes,
} from '@aws-sdk/client-dynamodb';
import type { CheckResult } from '../health';
import { type Check, resultOf } from './check';

/** A source and its abuse ceiling, as config/sources.json declares it. */
export interface CeilingRef {
  source: string;
  perSecond: number;
}

/** Settings of {@link ceilingUseCheck}. */
export interface CeilingCheckOptions {
  tableName: string;
  /** Shards per window, as ingest counts them (`ABUSE_CEILING_SHARDS`). */
  shards: number;
  /** How many complete one-second windows to look back over: the busiest counts. */
  windowSeconds: number;
  /** `warn` at this share of the ceiling, in percent. */
  warnPercent: number;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_LIMIT = 100;

/**
 * `ceiling:utilization`: for each source, the busiest of the last few complete seconds as a percentage
 * of its abuse ceiling, read from the counters ingest writes (`ceiling#<source>#<second>#<shard>` in
 * the state table). `warn` from `warnPercent`: near the ceiling, a burst gets 429s.
 */
export function ceilingUseCheck(
  dynamoDb: DynamoDBClient,
  ceilings: readonly CeilingRef[],
  options: CeilingCheckOptions,
): Check {
  const check = {
    key: 'ceiling:utilization',
    componentType: 'component',
    componentIds: ceilings.map((c) => c.source),
    critical: false,
  };
  return {
    ...check,
    async run({ signal, now }): Promise<CheckResult[]> {
      const lastComplete = Math.floor(now() / 1000) - 1;
      const keys: string[] = [];
      for (const { source } of ceilings) {
        for (let s = 0; s < options.windowSeconds; s += 1) {
          for (let shard = 0; shard < options.shards; shard += 1) {
            keys.push(`ceiling#${source}#${lastComplete - s}#${shard}`);
          }
        }
      }
      const counts = new Map<string, number>();
      for (let i = 0; i < keys.length; i += BATCH_LIMIT) {
        let request: BatchGetItemCommand['input']['RequestItems'] = {
          [options.tableName]: {
            Keys: keys
              .slice(i, i + BATCH_LIMIT)
              .map((pk) => ({ pk: { S: pk }, sk: { S: 'window' } })),
            ProjectionExpression: 'pk, #count',
            ExpressionAttributeNames: { '#count': 'count' },
          },
        };
        // Unprocessed keys are asked again a bounded number of times; the signal bounds the wait.
        for (let attempt = 0; request && attempt < 3; attempt += 1) {
          const answer: BatchGetItemCommandOutput = await dynamoDb.send(
            new BatchGetItemCommand({ RequestItems: request }),
            {
              abortSignal: signal,
            },
          );
          for (const item of answer.Responses?.[options.tableName] ?? []) {
            counts.set(item.pk?.S ?? '', Number(item.count?.N ?? 0));
          }
          const left: KeysAndAttributes | undefined = answer.UnprocessedKeys?.[options.tableName];
          request = left?.Keys?.length ? { [options.tableName]: left } : undefined;
        }
      }
      return ceilings.map(({ source, perSecond }) => {
        let busiest = 0;
        for (let s = 0; s < options.windowSeconds; s += 1) {
          let inSecond = 0;
          for (let shard = 0; shard < options.shards; shard += 1) {
            inSecond += counts.get(`ceiling#${source}#${lastComplete - s}#${shard}`) ?? 0;
          }
          busiest = Math.max(busiest, inSecond);
        }
        const percent = Math.round((busiest / perSecond) * 1000) / 10;
        const high = percent >= options.warnPercent;
        return resultOf(check, source, now, {
          status: high ? 'warn' : 'pass',
          observedValue: percent,
          observedUnit: 'percent',
          ...(high ? { output: `near the abuse ceiling` } : {}),
        });
      });
    },
  };
}

/**
 * Reads how much of the email provider's rate limit is in use, in percent (the handler reads the
 * email batcher's token bucket with `tokenBucketUse`).
 */
export interface RateLimiterUseReader {
  read(signal: AbortSignal): Promise<number>;
}

/** `emailRateLimiter:utilization`: the email token bucket's use; `warn` from `warnPercent`. */
export function rateLimiterUseCheck(reader: RateLimiterUseReader, warnPercent: number): Check {
  const check = {
    key: 'emailRateLimiter:utilization',
    componentType: 'component',
    componentIds: ['email'],
    critical: false,
  };
  return {
    ...check,
    async run({ signal, now }) {
      const percent = await reader.read(signal);
      const high = percent >= warnPercent;
      return [
        resultOf(check, 'email', now, {
          status: high ? 'warn' : 'pass',
          observedValue: percent,
          observedUnit: 'percent',
          ...(high ? { output: 'near the email rate limit' } : {}),
        }),
      ];
    },
  };
}
