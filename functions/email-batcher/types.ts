import type { CallOutcome, PostmarkMessage } from '../../shared/email/postmark';
import type { ProviderPause } from '../../shared/email/provider-pause';
import type { ReconcileSettings, SearchOutcome } from '../../shared/email/reconcile';
import type { JobLedger } from '../../shared/ledger/job-ledger';
import type { SettlementDeps } from '../../shared/queue/settlement';
import type { TokenBucket } from '../../shared/rate-limit/token-bucket';
import type { WriteFailed } from '../../shared/write-failures';
import type { BatcherTelemetry } from './telemetry';

// The batcher's settings and dependencies, in a file of their own so batcher.ts, claims.ts and the
// files of delivery/ share them without importing one another.

/** Tunables of the batcher (from config). */
export interface BatcherSettings {
  messagesPerCall: number;
  claimMs: number;
  maxAttempts: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  pauseSeconds: number;
  /** Longest wait of a job held for a pause before it looks again. */
  holdRecheckSeconds: number;
  /** Longest a claimed batch waits for tokens, in all (within the invocation's time). */
  rateMaxWaitMs: number;
  /** The provider call's own timeout: a call starts only when the invocation has this much left. */
  callTimeoutMs: number;
  /** One search of the provider's messages, every page, within this. */
  searchTimeoutMs: number;
  reconcile: ReconcileSettings;
}

/** The part of the Lambda context the consumers read: how long the invocation has left. */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

/** Everything the batcher talks to, passed in as one object. */
export interface EmailBatcherDeps extends SettlementDeps {
  ledger: Pick<JobLedger, 'claim' | 'markSent' | 'release'>;
  bucket: Pick<TokenBucket, 'take'>;
  pause: Pick<ProviderPause, 'permit' | 'pause' | 'settleTrial' | 'resume'>;
  send: (token: string, messages: readonly PostmarkMessage[]) => Promise<CallOutcome>;
  /**
   * Lists what the provider took for one call (by the call reference in its messages' metadata);
   * none: the provider has no search (or it is switched off), ambiguous jobs are sent again, counted.
   */
  search?: (token: string, callRef: string) => Promise<SearchOutcome>;
  /** A new call reference (carried by every message of the call). */
  newCallRef: () => string;
  /** The provider token: cached, and fetched anew at most once per invocation on a refusal. */
  token: { current(): Promise<string>; refresh(): Promise<string | undefined> };
  /** The version id of the provider token secret's current value (cached briefly), if readable. */
  tokenVersion: () => Promise<string | undefined>;
  telemetry: BatcherTelemetry;
  /** Logs a failed ledger write with its error and counts it. */
  writeFailed: WriteFailed;
  log: {
    warn(message: string, extra: Record<string, unknown>): void;
    error(message: string, extra: Record<string, unknown>): void;
  };
  settings: BatcherSettings;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  newClaimToken: () => string;
}
