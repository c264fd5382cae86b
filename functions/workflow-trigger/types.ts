import type { SQSRecord } from 'aws-lambda';
import type { JobLedger } from '../../shared/ledger/job-ledger';
import type { WorkflowJob } from '../../shared/messages/jobs';
import type { Settlement, SettlementDeps } from '../../shared/queue/settlement';
import type { CircuitBreaker } from '../../shared/workflow/breaker/circuit-breaker';
import type { EngineOutcome } from '../../shared/workflow/engine';
import type { WorkflowRegistry } from '../../shared/workflow/registry';
import type { TriggerTelemetry } from '../../shared/workflow/telemetry';
import type { WriteFailed } from '../../shared/write-failures';

// The trigger's types, in a file of their own so trigger.ts, attempt.ts and defer.ts share them
// without importing one another.

/** Tunables of the trigger (from config). */
export interface TriggerSettings {
  maxAttempts: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  claimMs: number;
  /** Longest wait of a job held for the open breaker before it looks again. */
  holdRecheckSeconds: number;
  /** The engine call's own timeout: a call starts only when the invocation has this much left. */
  callTimeoutMs: number;
}

/** What the engine call needs beyond the job: the path, the token and the `_metadata`. */
export interface TriggerCall {
  path: string;
  token: string;
  job: WorkflowJob;
  metadata: Record<string, unknown>;
}

/** Everything the trigger talks to, passed in as one object. */
export interface TriggerDeps extends SettlementDeps {
  registry: WorkflowRegistry;
  ledger: Pick<JobLedger, 'claim' | 'markSent' | 'release'>;
  breaker: Pick<CircuitBreaker, 'permit' | 'settleTrial' | 'open' | 'record' | 'flush' | 'resume'>;
  call: (call: TriggerCall) => Promise<EngineOutcome>;
  /** The engine token: cached, and fetched anew at most once per invocation on a refusal. */
  token: { current(): Promise<string>; refresh(): Promise<string | undefined> };
  /** The version id of the engine token secret's current value (cached briefly), if readable. */
  tokenVersion: () => Promise<string | undefined>;
  telemetry: TriggerTelemetry;
  /** Logs a failed ledger write with its error and counts it. */
  writeFailed: WriteFailed;
  log: { warn(message: string, extra: Record<string, unknown>): void };
  settings: TriggerSettings;
  now: () => number;
  random: () => number;
  newClaimToken: () => string;
}

/** A record whose job is valid and whose workflow is known: ready to claim and call. */
export interface ReadyJob {
  record: SQSRecord;
  job: WorkflowJob;
  path: string;
  correlationId: string;
  source: string;
  fingerprint: string;
  /** The version-1 fingerprint, so a job stored under it is still recognised. */
  legacyFingerprint: string;
}

/** What one job's attempt told the breaker: the engine answered, failed, or was not called. */
export type CallResult = 'success' | 'failure' | 'refused' | 'no-call';

/** Per-invocation state: the settlement, one token refresh, and whether the breaker opened. */
export interface TriggerRun {
  settlement: Settlement;
  refreshTokenOnce(): Promise<string | undefined>;
  /** Milliseconds the invocation has left (unlimited without a Lambda context). */
  remainingMs(): number;
  opened: boolean;
}
