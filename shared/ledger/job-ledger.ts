import { claimJob } from './claim';
import { writeStep } from './holder-steps';
import { LedgerTable } from './ledger-table';
import { clearJob, recordFound, resetAttempts } from './replay-steps';
import { releaseStep, sentStep } from './requests';
import type {
  CallRecord,
  ClaimResult,
  JobLedgerOptions,
  LedgerEntry,
  LedgerHold,
  StepResult,
} from './types';

/**
 * One DynamoDB item per job: status, attempts, last error and history. A job is claimed by a
 * conditional write before the provider call, and the old item comes back (`ALL_OLD`), so a claim that
 * expired while its holder was calling is recognised as an ambiguous attempt rather than overwritten
 * silently, which is what Powertools Idempotency would do (claim.ts).
 *
 * Every step after the claim (sent, released, dead) is conditional on the claim's token: a holder
 * whose claim ran out and was taken over gets `taken-over` and must leave the job to its new holder
 * (holder-steps.ts). A DLQ replay's steps on a job's item are in replay-steps.ts.
 *
 * The item's TTL is set by the first claim and moved on only by steps that spend an attempt (and by
 * `sent`), so a job held again and again without an attempt (a paused provider) cannot keep its item
 * for ever; its history keeps its first and last `HISTORY_ENDS` lines and counts the rest
 * (history.ts). The types it takes and answers are in types.ts.
 */
export class JobLedger {
  readonly #table: LedgerTable;

  constructor(options: JobLedgerOptions) {
    this.#table = new LedgerTable(options);
  }

  /**
   * Claims `jobId` for `claimMs` and counts one attempt, unless it was sent, another consumer holds a
   * live claim, or the id was first used for different content (`conflict`).
   */
  claim(
    jobId: string,
    fingerprint: string,
    token: string,
    claimMs: number,
    /** A fingerprint of the same content under an earlier version of its definition, also accepted. */
    previousFingerprint: string = fingerprint,
    /**
     * The provider call this attempt will make, recorded with the claim so that a holder that dies
     * after sending leaves a job its next holder reconciles instead of re-sending blindly.
     */
    call?: CallRecord,
  ): Promise<ClaimResult> {
    return claimJob(this.#table, jobId, fingerprint, token, claimMs, previousFingerprint, call);
  }

  /** The job's item, read consistently. */
  get(jobId: string): Promise<LedgerEntry | undefined> {
    return this.#table.get(jobId);
  }

  /**
   * Records the provider's acceptance; from now on the job is acknowledged without a call.
   * `taken-over`: the claim ran out and another consumer holds the job now.
   */
  markSent(hold: LedgerHold, messageId: string, note = `sent ${messageId}`): Promise<StepResult> {
    return writeStep(this.#table, sentStep(hold, messageId, note));
  }

  /**
   * Releases the claim after a failed call. `unknown`: the call may have reached the provider.
   * `refundAttempt`: the failure was not the job's (a paused provider, an empty rate limit, no time
   * left): the attempt is given back and the item's expiry is left where it was.
   * `currentMaybeSent`: this attempt's call may have reached the provider, so it stays on record to
   * be reconciled (by default when the status is `unknown`); the earlier unknown calls always stay.
   * `taken-over`: the claim ran out and another consumer holds the job now; nothing was written.
   */
  release(
    hold: LedgerHold,
    status: 'retry' | 'unknown' | 'dead',
    error: string,
    refundAttempt = false,
    currentMaybeSent = status === 'unknown',
  ): Promise<StepResult> {
    return writeStep(
      this.#table,
      releaseStep(this.#table, hold, status, error, refundAttempt, currentMaybeSent),
    );
  }

  /**
   * A dead-lettered job that a search found at the provider (a replay reconciled it): recorded sent,
   * so no copy of it is sent again. `not-dead`: the job is no longer dead (sent, or held by a consumer).
   */
  recordFound(jobId: string, messageId: string): Promise<'done' | 'not-dead'> {
    return recordFound(this.#table, jobId, messageId);
  }

  /**
   * Before a dead letter of the job is replayed: its attempts go back to 0, so the consumer tries it
   * afresh instead of dead-lettering it again at once. A `sent` job is left as it is (the replay is
   * absorbed without a call), and a job never claimed has no item to reset.
   */
  resetAttempts(jobId: string): Promise<'reset' | 'sent' | 'absent'> {
    return resetAttempts(this.#table, jobId);
  }

  /** Forgets the job (a forced replay): its next delivery is sent to the provider again. */
  clear(jobId: string): Promise<void> {
    return clearJob(this.#table, jobId);
  }
}
