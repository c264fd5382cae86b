import type { StepResult } from '../../../shared/ledger/types';
import type { ClaimedJob, DeliveryContext } from './delivery-types';

// What becomes of one claimed job after its call (or instead of it): sent, dead-lettered, held
// without spending an attempt, or retried; each written to the ledger under the job's claim first.

/**
 * Runs one ledger step of a claimed job. False when the claim was taken over: the job belongs to
 * another holder (another copy of its message) now, so this record is acknowledged without acting on
 * it. A failed write is logged and counted, and the caller goes on (the record's fate still matters
 * more than the ledger's note of it).
 */
export async function ledgerStep(
  context: DeliveryContext,
  entry: ClaimedJob,
  step: string,
  write: () => Promise<StepResult>,
): Promise<boolean> {
  const { deps } = context;
  try {
    if ((await write()) === 'done') return true;
    deps.log.warn('the claim was taken over: the job is left to its new holder', {
      jobId: entry.job.id,
      correlationId: entry.correlationId,
      step,
    });
    return false;
  } catch (error) {
    deps.writeFailed({
      store: 'ledger',
      step,
      jobId: entry.job.id,
      correlationId: entry.correlationId,
      error,
    });
    return true;
  }
}

export async function sent(context: DeliveryContext, entry: ClaimedJob, messageId: string) {
  const { deps } = context;
  // The provider has it: acknowledged whatever the mark came to. A failed mark leaves the claim to
  // expire, and a copy claimed after that is counted ambiguous, which is the truth about it; a claim
  // taken over means another copy is being sent now (also counted ambiguous by its holder).
  await ledgerStep(context, entry, 'sent', () => deps.ledger.markSent(entry.hold, messageId));
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'sent',
    messageId,
    attempts: entry.attempts,
  });
}

export async function deadLetter(
  context: DeliveryContext,
  entry: ClaimedJob,
  code: number,
  message: string,
) {
  const { deps, settlement } = context;
  const released = await ledgerStep(context, entry, 'dead', () =>
    deps.ledger.release(entry.hold, 'dead', `ErrorCode ${code}`),
  );
  if (!released) return;
  settlement.deadLetter(entry.record, {
    reason: `the provider refused the message: ErrorCode ${code}: ${message}`,
    reasonCode: `provider-${code}`,
    attempts: entry.attempts,
    jobId: entry.job.id,
    correlationId: entry.correlationId,
  });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'dead-lettered',
    errorCode: code,
    attempts: entry.attempts,
  });
}

/** The job waits (for the provider or the rate limit) without spending an attempt. */
export async function holdJob(
  context: DeliveryContext,
  entry: ClaimedJob,
  reason: string,
  seconds: number,
  /**
   * `unknown`: the job waits for its calls of unknown outcome to be reconciled; they stay on record
   * (this attempt's call never left, so it is not kept).
   */
  status: 'retry' | 'unknown' = 'retry',
) {
  const { deps, settlement } = context;
  const released = await ledgerStep(context, entry, 'hold', () =>
    deps.ledger.release(entry.hold, status, reason, true, false),
  );
  if (!released) return;
  settlement.defer({ record: entry.record, delaySeconds: seconds, attempts: entry.attempts - 1 });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'deferred',
    reason,
    delaySeconds: seconds,
    ...(status === 'unknown' ? { ambiguous: true } : {}),
  });
}

export async function retry(
  context: DeliveryContext,
  entry: ClaimedJob,
  error: string,
  errorCode?: number,
  maybeDelivered = false,
  retryAfterSeconds?: number,
) {
  const { deps, settlement } = context;
  if (entry.attempts >= deps.settings.maxAttempts)
    return context.exhausted(entry, error, maybeDelivered);
  const status = maybeDelivered ? 'unknown' : 'retry';
  const released = await ledgerStep(context, entry, status, () =>
    deps.ledger.release(entry.hold, status, error),
  );
  if (!released) return;
  if (maybeDelivered) deps.telemetry.ambiguous(entry.job.id, entry.correlationId);
  const delaySeconds = maybeDelivered
    ? context.ambiguousDelaySeconds()
    : context.backoff(entry.attempts, retryAfterSeconds);
  settlement.defer({ record: entry.record, delaySeconds, attempts: entry.attempts });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'retried',
    errorCode: errorCode ?? error,
    attempts: entry.attempts,
    delaySeconds,
  });
}
