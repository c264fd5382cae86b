import type { ResumeVia } from '../../state/resume';

// The breaker's types and its item key, apart from the code, so its callers and parts share them.

/** A breaker's state as callers and the health probe see it. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** What a caller may do now. */
export type BreakerPermit =
  | { kind: 'closed' }
  /** This caller holds the one half-open trial: settle it with {@link CircuitBreaker.settleTrial}. */
  | { kind: 'trial'; token: string; resumedVia?: ResumeVia }
  /** `tokenVersion`: the token secret's version the engine refused, when a refusal opened it. */
  | { kind: 'open'; retryInMs: number; tokenVersion?: string };

/** Tunables of {@link CircuitBreaker}. */
export interface BreakerSettings {
  /** Opens when failures / calls in the window reach this share (0..1). */
  failureRatio: number;
  /** ... and the window holds at least this many calls. */
  minCalls: number;
  windowSeconds: number;
  bucketSeconds: number;
  /** The cool-down after the breaker opens from closed. */
  firstCooldownSeconds: number;
  /** Each failed trial makes the next cool-down this many times longer (1: no growth)... */
  cooldownGrowth: number;
  /** ... up to this. */
  cooldownSeconds: number;
  /** Cool-down after the engine refused our configuration (401, 403, 404, 422). */
  refusedCooldownSeconds: number;
  /** How long a container trusts the state it read. */
  cacheMs: number;
  /** Counts are written at most this often per container (one `ADD` per flush). */
  flushMs: number;
  /** How long the half-open trial may take before another container may try. */
  trialLeaseMs: number;
}

/** A state change, for logs and metrics. */
export interface BreakerChange {
  to: BreakerState;
  reason: string;
}

/** The breaker's item in the state table, as the breaker reads it. */
export interface StateItem {
  state?: 'closed' | 'open';
  openUntil?: number;
  leaseUntil?: number;
  closedAt?: number;
  reason?: string;
  /** The engine refused our token of this secret version: a newer one ends the cool-down. */
  tokenVersion?: string;
  resumePending?: ResumeVia;
  /** The current cool-down without its jitter: the next failed trial's grows from it. */
  cooldownMs?: number;
}

/**
 * How long a caller that finds the trial taken holds its jobs before it looks again: the trial is
 * one call, usually far shorter than its lease, and the jobs should be back soon after it closes.
 */
export const TRIAL_TAKEN_RETRY_MS = 1000;

/** The key of an engine's breaker item. */
export const breakerKey = (engine: string) => ({ pk: `breaker#${engine}`, sk: 'state' });
