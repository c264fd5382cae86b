import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** A state write that failed: where, which step, for which job, and the error itself. */
export interface WriteFailure {
  /** `ledger` (a job's claim or step) or `dead-letter-index` (the DLQ's index item). */
  store: 'ledger' | 'dead-letter-index';
  /** What was being written (`claim`, `sent`, `retry`, `dead`, `hold`, `index`). */
  step: string;
  jobId?: string;
  correlationId?: string;
  messageId?: string;
  error: unknown;
}

/** Reports a failed write: one error line and one count. */
export type WriteFailed = (failure: WriteFailure) => void;

/** The metric each store's failed writes are counted under. */
export const WRITE_FAILURE_METRICS = Object.freeze({
  ledger: 'LedgerWriteFailed',
  'dead-letter-index': 'DeadLetterIndexWriteFailed',
});

/**
 * A {@link WriteFailed} that logs at error level with the error object itself, so the Powertools
 * logger keeps its name, message, stack and `cause` chain (a string would drop all but the message),
 * and counts it in the store's metric.
 */
export function writeFailureReporter(
  logger: { error(message: string, extra: Record<string, unknown>): void },
  metrics: { addMetric: (...args: Parameters<Metrics['addMetric']>) => unknown },
): WriteFailed {
  return ({ store, step, error, ...ids }) => {
    metrics.addMetric(WRITE_FAILURE_METRICS[store], MetricUnit.Count, 1);
    logger.error(`${store} write failed (${step})`, { ...ids, store, step, error });
  };
}
