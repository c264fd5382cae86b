import { optionalInteger } from '../config';

type Env = Record<string, string | undefined>;

/**
 * Engine calls one trial can make: its call, and once more after re-reading a refused token. The
 * trial's lease covers them all, so no second trial starts while the first may still be calling.
 */
export const CALLS_PER_TRIAL = 2;

/** Time the lease keeps beyond the trial's calls, for its claim and its settling. */
export const TRIAL_LEASE_MARGIN_MS = 2000;

/** The variables {@link loadBreakerSettings} reads. */
export const BREAKER_SETTINGS = Object.freeze([
  'WORKFLOW_BREAKER_FAILURE_PERCENT',
  'WORKFLOW_BREAKER_MIN_CALLS',
  'WORKFLOW_BREAKER_WINDOW_SECONDS',
  'WORKFLOW_BREAKER_FIRST_COOLDOWN_SECONDS',
  'WORKFLOW_BREAKER_COOLDOWN_GROWTH_PERCENT',
  'WORKFLOW_BREAKER_COOLDOWN_SECONDS',
  'WORKFLOW_REFUSED_COOLDOWN_SECONDS',
] as const);

/**
 * The circuit breaker's settings (shared by the trigger and `POST /workflows/{name}`, which must
 * read the same breaker the same way). `timeoutMs` is the longest engine call a trial may make.
 */
export function loadBreakerSettings(env: Env, timeoutMs: number) {
  const cooldownSeconds = optionalInteger(env, 'WORKFLOW_BREAKER_COOLDOWN_SECONDS', 30, {
    min: 1,
    max: 3600,
  });
  return {
    failureRatio:
      optionalInteger(env, 'WORKFLOW_BREAKER_FAILURE_PERCENT', 50, { min: 1, max: 100 }) / 100,
    minCalls: optionalInteger(env, 'WORKFLOW_BREAKER_MIN_CALLS', 10, { min: 1, max: 100_000 }),
    windowSeconds: optionalInteger(env, 'WORKFLOW_BREAKER_WINDOW_SECONDS', 30, {
      min: 2,
      max: 3600,
    }),
    bucketSeconds: 1,
    // Short at first, so a short outage costs a short wait after it; longer with each failed trial
    // (about a tenth of the time open so far), up to cooldownSeconds.
    firstCooldownSeconds: Math.min(
      cooldownSeconds,
      optionalInteger(env, 'WORKFLOW_BREAKER_FIRST_COOLDOWN_SECONDS', 2, { min: 1, max: 3600 }),
    ),
    cooldownGrowth:
      1 +
      optionalInteger(env, 'WORKFLOW_BREAKER_COOLDOWN_GROWTH_PERCENT', 10, { min: 0, max: 1000 }) /
        100,
    cooldownSeconds,
    refusedCooldownSeconds: optionalInteger(env, 'WORKFLOW_REFUSED_COOLDOWN_SECONDS', 300, {
      min: 1,
      max: 86_400,
    }),
    cacheMs: 1000,
    flushMs: 1000,
    trialLeaseMs: CALLS_PER_TRIAL * timeoutMs + TRIAL_LEASE_MARGIN_MS,
  };
}
