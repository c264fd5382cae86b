import type { CallRecord, ClaimResult } from '../../shared/ledger/types';
import { clampDelay } from '../../shared/queue/deferral';
import { attemptsOf, type Settlement } from '../../shared/queue/settlement';
import type { ClaimedJob } from './delivery/delivery-types';
import type { BatchJob } from './jobs';
import type { EmailBatcherDeps } from './types';

// The batcher's ledger claims: each job is claimed (its planned call recorded with the claim) before
// anything is sent, and a job the claim refuses is acknowledged, deferred or dead-lettered here.

/** A job not sent now goes back on the queue for `seconds` (clamped to what SQS allows). */
export function deferJob(
  deps: EmailBatcherDeps,
  settlement: Settlement,
  entry: BatchJob,
  seconds: number,
  reason: string,
) {
  const delaySeconds = clampDelay(seconds);
  settlement.defer({ record: entry.record, delaySeconds, attempts: attemptsOf(entry.record) });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'deferred',
    reason,
    delaySeconds,
  });
}

/**
 * Claims one job in the ledger with the call it will go out in. Undefined when it is not ours to
 * send: already sent (a duplicate, acknowledged), held by another batcher (deferred), its id used for
 * other content (dead-lettered), or the ledger could not be written (left to SQS).
 */
export async function claimJob(
  deps: EmailBatcherDeps,
  entry: BatchJob,
  settlement: Settlement,
  call: CallRecord,
): Promise<ClaimedJob | undefined> {
  const { telemetry, settings } = deps;
  let claim: ClaimResult;
  try {
    claim = await deps.ledger.claim(
      entry.job.id,
      entry.fingerprint,
      deps.newClaimToken(),
      settings.claimMs,
      entry.fingerprint,
      call,
    );
  } catch (error) {
    // The job is left to SQS: its record comes back after the visibility timeout.
    deps.writeFailed({
      store: 'ledger',
      step: 'claim',
      jobId: entry.job.id,
      correlationId: entry.correlationId,
      error,
    });
    settlement.fail(entry.record);
    return undefined;
  }
  const { id } = entry.job;
  if (claim.kind === 'sent') {
    telemetry.job({
      jobId: id,
      correlationId: entry.correlationId,
      outcome: 'duplicate',
      messageId: claim.messageId,
    });
  } else if (claim.kind === 'busy') {
    deferJob(deps, settlement, entry, claim.retryInMs / 1000, 'another batcher is sending it');
  } else if (claim.kind === 'conflict') {
    const reason = `id "${id}" was already used for an email with other content (addresses, subject, bodies, tag or stream)`;
    settlement.deadLetter(entry.record, {
      reason,
      reasonCode: 'reused-id',
      attempts: attemptsOf(entry.record),
      jobId: id,
      correlationId: entry.correlationId,
    });
    telemetry.job({
      jobId: id,
      correlationId: entry.correlationId,
      outcome: 'dead-lettered',
      errorCode: 'reused-id',
    });
  } else {
    telemetry.claimed({
      jobId: id,
      correlationId: entry.correlationId,
      attempt: claim.attempts,
      ambiguous: claim.ambiguous,
    });
    // A holder that died mid-call: detected now (a call that ended unanswered is counted when it
    // ends). Either way the job is reconciled with the provider before it is sent again.
    if (claim.abandoned) telemetry.ambiguous(id, entry.correlationId);
    return { ...entry, attempts: claim.attempts, history: claim.history, hold: claim.hold };
  }
  return undefined;
}
