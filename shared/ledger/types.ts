import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

// The job ledger's types, in a file of their own so the ledger's parts (claim.ts, holder-steps.ts,
// replay-steps.ts, job-ledger.ts) and its callers share them without importing one another.

/**
 * Where a job stands. `claimed`: a consumer is calling the provider for it now (until the claim
 * expires); `unknown`: a call for it ended without an answer, so the provider may have it; `retry`:
 * it failed and waits; `sent`; `dead`: it went to the DLQ (a replayed dead letter may claim it again).
 */
export type JobStatus = 'claimed' | 'unknown' | 'retry' | 'sent' | 'dead';

/**
 * A provider call a job went out in whose outcome is unknown (or not yet known): its reference (carried
 * by every message of the call, so the provider can be asked what it took), when it was prepared
 * (written with the claim, before the request leaves) and, once it ended without an answer, when.
 */
export interface CallRecord {
  ref: string;
  at: number;
  endedAt?: number;
}

/** The retry state kept for one job. */
export interface LedgerEntry {
  status: JobStatus;
  fingerprint: string;
  attempts: number;
  claimToken?: string;
  claimExpiresAt?: number;
  messageId?: string;
  lastError?: string;
  /** The first and last `HISTORY_ENDS` (history.ts) lines of the job's history. */
  history?: string[];
  /** Every history line ever written, the ones left out of `history` included. */
  historyCount?: number;
  /** An attempt of the job may have reached the provider without an answer (sticky). */
  ambiguous?: boolean;
  /**
   * Calls the job went out in whose outcome is unknown, to be reconciled with the provider before it
   * is sent again; while a holder has the job, its own call is the last one.
   */
  calls?: CallRecord[];
  /** When DynamoDB's TTL may remove the item (epoch seconds). */
  expiresAt?: number;
}

/**
 * What a claim hands its holder: every later step of the attempt names it, and is written only while
 * the item still carries its token, so a holder whose claim expired and was taken over by another
 * consumer cannot overwrite the newer holder's state.
 */
export interface LedgerHold {
  jobId: string;
  token: string;
  /** The item's history after the claim (ends kept), and how many lines it has had in all. */
  history: string[];
  historyCount: number;
  /** Some attempt of the job, this one's predecessors, may have reached the provider. */
  ambiguous: boolean;
  /** Earlier calls of the job whose outcome is unknown: to reconcile before sending again. */
  calls: CallRecord[];
  /** This attempt's call, recorded with the claim (none for consumers that do not record calls). */
  current?: CallRecord;
}

/** What a step after the claim came to: written, or refused because the claim is someone else's. */
export type StepResult = 'done' | 'taken-over';

/** What a claim found. */
export type ClaimResult =
  /** Ours to send. `ambiguous`: an earlier call for it may have reached the provider. */
  | {
      kind: 'claimed';
      attempts: number;
      ambiguous: boolean;
      /** The previous holder's claim ran out before it recorded an outcome (it died, or hung). */
      abandoned?: boolean;
      /** The history to show (ends kept, with a line saying how many were left out between). */
      history: string[];
      hold: LedgerHold;
    }
  | { kind: 'sent'; messageId?: string }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'conflict' };

/** Settings for {@link JobLedger}. */
export interface JobLedgerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Names the consumer, so two consumers' jobs never share items (`email`, `workflow`). */
  scope: string;
  /** How long items are kept; at least the DLQ's retention (14 days). */
  keepSeconds: number;
  now: () => number;
}
