import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LedgerTable } from './ledger-table';
import { stepUpdate } from './requests';
import type { CallRecord, JobStatus, LedgerHold, StepResult } from './types';

// The holder's steps after its claim (sent, released, dead): each is written only while the item
// still carries the claim's token, so a holder whose claim ran out and was taken over gets
// `taken-over` and must leave the job to its new holder.

/** The claim was taken over: the step was not written. */
const TAKEN_OVER: StepResult = 'taken-over';

/** Records the provider's acceptance (see `JobLedger.markSent`). */
export function markSent(
  table: LedgerTable,
  hold: LedgerHold,
  messageId: string,
  note: string,
): Promise<StepResult> {
  return writeStep(table, hold, 'sent', note, { messageId }, 'counted', []);
}

/** Releases the claim after a failed call (see `JobLedger.release`). */
export function release(
  table: LedgerTable,
  hold: LedgerHold,
  status: 'retry' | 'unknown' | 'dead',
  error: string,
  refundAttempt: boolean,
  currentMaybeSent: boolean,
): Promise<StepResult> {
  const calls =
    currentMaybeSent && hold.current
      ? [...hold.calls, { ...hold.current, endedAt: table.options.now() }]
      : hold.calls;
  return writeStep(
    table,
    hold,
    status,
    `${status}: ${error}`,
    { lastError: error.slice(0, 500) },
    refundAttempt ? 'refunded' : 'counted',
    calls,
  );
}

/**
 * One step of the holder, written only while the item still carries the holder's token. The history
 * is written whole, its ends kept: the token guarantees no other holder appended meanwhile.
 */
async function writeStep(
  table: LedgerTable,
  hold: LedgerHold,
  status: JobStatus,
  note: string,
  set: Record<string, string>,
  attempt: 'counted' | 'refunded',
  /** The calls left to reconcile after this step (none: the list is removed). */
  calls: readonly CallRecord[],
): Promise<StepResult> {
  try {
    await table.documents.send(
      new UpdateCommand(stepUpdate(table, { hold, status, note, set, attempt, calls })),
    );
    return 'done';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return TAKEN_OVER;
    throw error;
  }
}
