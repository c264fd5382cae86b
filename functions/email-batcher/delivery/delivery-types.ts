import type { PostmarkMessage } from '../../../shared/email/postmark';
import type { LedgerHold } from '../../../shared/ledger/types';
import type { Settlement } from '../../../shared/queue/settlement';
import type { BatchJob } from '../jobs';
import type { EmailBatcherDeps } from '../types';
import type { ListingCache } from './listing-cache';

// What delivery works on, in a file of its own so the files of delivery/ (and batcher.ts, claims.ts)
// share them without importing one another.

/** A job this invocation holds a ledger claim for. */
export interface ClaimedJob extends BatchJob {
  /** Attempts counted so far, this one included. */
  attempts: number;
  history: string[];
  /** The claim: every ledger step of this attempt names it. */
  hold: LedgerHold;
}

/** Per-invocation helpers shared by the calls of one batch. */
export interface DeliveryContext {
  deps: EmailBatcherDeps;
  settlement: Settlement;
  /** Milliseconds the invocation has left. */
  remainingMs: () => number;
  /** Re-reads the token from Secrets Manager, once per invocation. */
  refreshTokenOnce: () => Promise<string | undefined>;
  /** Pauses the provider for every batcher, once per invocation. */
  pauseOnce: (reason: string) => Promise<void>;
  /** Whether this invocation paused the provider. */
  pausedThisRun: () => boolean;
  backoff: (attempts: number, retryAfterSeconds?: number) => number;
  /**
   * The wait after a call of unknown outcome: the settle window, the same for every job of the call
   * (so they come back together and their call is searched once), not the ordinary backoff.
   */
  ambiguousDelaySeconds: () => number;
  /** The container's listings of settled calls (one search per call, whatever the batch). */
  listings: ListingCache;
  /**
   * Dead-letters a job whose last attempt failed, with its history; marked ambiguous when some
   * attempt (`maybeDelivered`: this one) may have reached the provider.
   */
  exhausted: (entry: ClaimedJob, lastError: string, maybeDelivered?: boolean) => Promise<void>;
}

/** One job of a provider call, with its message. */
export type CallItem = { entry: ClaimedJob; message: PostmarkMessage };
