import {
  checkClaimOutlastsHolder,
  functionTimeoutSeconds,
  optionalInteger,
  optionalString,
  requireString,
  requireUrl,
  SECRETS_SETTINGS,
  secretsSettings,
} from '../../shared/config';
import { ConfigError } from '../../shared/errors';
import { DEFAULT_HOLD_RECHECK_SECONDS } from '../../shared/state/resume';

type Env = Record<string, string | undefined>;

/** Postmark's batch API takes at most 500 messages per call. */
export const MAX_MESSAGES_PER_CALL = 500;

/** Every environment variable {@link loadEmailBatcherConfig} reads (for the start-up preflight). */
export const EMAIL_BATCHER_SETTINGS = Object.freeze([
  ...SECRETS_SETTINGS,
  'STATE_TABLE',
  'EMAIL_JOBS_QUEUE_URL',
  'EMAIL_JOBS_DLQ_URL',
  'EMAIL_API_URL',
  'EMAIL_PROVIDER_ACCOUNT',
  'EMAIL_PROVIDER_TIMEOUT_MS',
  'EMAIL_MESSAGES_PER_CALL',
  'EMAIL_RATE_PER_SECOND',
  'EMAIL_RATE_BURST',
  'EMAIL_RATE_MAX_WAIT_MS',
  'EMAIL_MAX_ATTEMPTS',
  'EMAIL_BACKOFF_BASE_SECONDS',
  'EMAIL_BACKOFF_MAX_SECONDS',
  'EMAIL_CLAIM_SECONDS',
  'EMAIL_PAUSE_SECONDS',
  'EMAIL_HOLD_RECHECK_SECONDS',
  'EMAIL_LEDGER_DAYS',
  'EMAIL_SEARCH',
  'EMAIL_SEARCH_TIMEOUT_MS',
  'EMAIL_RECONCILE_SETTLE_SECONDS',
  'EMAIL_RECONCILE_LIMIT_HOURS',
  'FUNCTION_TIMEOUT_SECONDS',
] as const);

/** Default of EMAIL_RATE_MAX_WAIT_MS: beyond the function's timeout, so the invocation bounds the wait. */
export const DEFAULT_RATE_MAX_WAIT_MS = 60_000;

/** The batcher's `timeout` in function.yml (FUNCTION_TIMEOUT_SECONDS there must say the same). */
export const EMAIL_BATCHER_TIMEOUT_SECONDS = 30;

/** Provider calls one claim can make: the call, and once more after re-reading a refused token. */
export const EMAIL_CALLS_PER_CLAIM = 2;

/**
 * The email batcher's settings, read and checked once at cold start. A missing or malformed value
 * fails start-up with the variable's name.
 */
export function loadEmailBatcherConfig(env: Env) {
  const providerTimeoutMs = optionalInteger(env, 'EMAIL_PROVIDER_TIMEOUT_MS', 10_000, {
    min: 100,
    max: 60_000,
  });
  const claimSeconds = optionalInteger(env, 'EMAIL_CLAIM_SECONDS', 120, { min: 1, max: 43_200 });
  const search = optionalString(env, 'EMAIL_SEARCH', 'on');
  if (search !== 'on' && search !== 'off') {
    throw new ConfigError(
      `Environment variable EMAIL_SEARCH must be "on" or "off", got "${search}"`,
    );
  }
  const searchTimeoutMs = optionalInteger(env, 'EMAIL_SEARCH_TIMEOUT_MS', 5000, {
    min: 100,
    max: 30_000,
  });
  const timeoutSeconds = functionTimeoutSeconds(env, EMAIL_BATCHER_TIMEOUT_SECONDS);
  // Claimed jobs wait for rate tokens up to this long in all, inside the invocation: the claim, which
  // outlasts the whole invocation (checked below), covers the wait; the batcher also stops waiting
  // while a call can still finish in the invocation's remaining time. The default leaves that time as
  // the only bound: a batcher that stops waiting early defers jobs it could still have sent, and
  // under a sustained backlog every deferral is one more receive (see backlog.ts).
  const rateMaxWaitMs = optionalInteger(env, 'EMAIL_RATE_MAX_WAIT_MS', DEFAULT_RATE_MAX_WAIT_MS, {
    min: 0,
    max: 60_000,
  });
  checkClaimOutlastsHolder({
    extra: { variable: 'EMAIL_SEARCH_TIMEOUT_MS', ms: search === 'on' ? searchTimeoutMs : 0 },
    claimVariable: 'EMAIL_CLAIM_SECONDS',
    claimSeconds,
    functionTimeoutSeconds: timeoutSeconds,
    callVariable: 'EMAIL_PROVIDER_TIMEOUT_MS',
    callTimeoutMs: providerTimeoutMs,
    callsPerClaim: EMAIL_CALLS_PER_CLAIM,
  });
  const messagesPerCall = optionalInteger(env, 'EMAIL_MESSAGES_PER_CALL', MAX_MESSAGES_PER_CALL, {
    min: 1,
    max: MAX_MESSAGES_PER_CALL,
  });
  return Object.freeze({
    ...secretsSettings(env),
    stateTable: requireString(env, 'STATE_TABLE'),
    emailJobsQueueUrl: requireString(env, 'EMAIL_JOBS_QUEUE_URL'),
    emailJobsDlqUrl: requireString(env, 'EMAIL_JOBS_DLQ_URL'),
    emailApiUrl: requireUrl(env, 'EMAIL_API_URL'),
    providerAccount: optionalString(env, 'EMAIL_PROVIDER_ACCOUNT', 'postmark'),
    providerTimeoutMs,
    messagesPerCall,
    ratePerSecond: optionalInteger(env, 'EMAIL_RATE_PER_SECOND', 50, { min: 1, max: 100_000 }),
    // A burst below one full call would split every backlog call in two.
    rateBurst: optionalInteger(env, 'EMAIL_RATE_BURST', MAX_MESSAGES_PER_CALL, {
      min: messagesPerCall,
      max: 1_000_000,
    }),
    rateMaxWaitMs,
    maxAttempts: optionalInteger(env, 'EMAIL_MAX_ATTEMPTS', 8, { min: 1, max: 100 }),
    backoffBaseSeconds: optionalInteger(env, 'EMAIL_BACKOFF_BASE_SECONDS', 2, { min: 1, max: 900 }),
    backoffMaxSeconds: optionalInteger(env, 'EMAIL_BACKOFF_MAX_SECONDS', 900, { min: 1, max: 900 }),
    claimSeconds,
    pauseSeconds: optionalInteger(env, 'EMAIL_PAUSE_SECONDS', 300, { min: 1, max: 86_400 }),
    // Jobs held for a pause come back at least this often, so a resume reaches them soon.
    holdRecheckSeconds: optionalInteger(
      env,
      'EMAIL_HOLD_RECHECK_SECONDS',
      DEFAULT_HOLD_RECHECK_SECONDS,
      { min: 1, max: 900 },
    ),
    // Ledger items must outlive the DLQ's 14 days, so a redriven dead letter still finds its history.
    ledgerDays: optionalInteger(env, 'EMAIL_LEDGER_DAYS', 15, { min: 14, max: 365 }),
    // Ask the provider what it took before re-sending a job whose call had an unknown outcome
    // (Postmark's message search); "off" for a provider without one: such jobs are re-sent, counted.
    search: search === 'on',
    searchTimeoutMs,
    // Postmark's search is not read-after-write. Its messages normally show within seconds; two
    // minutes after the call could last have reached it leaves a wide margin, and keeps the delay of
    // an ambiguous job (rare: a timed-out call, a crash) to a few minutes.
    reconcileSettleSeconds: optionalInteger(env, 'EMAIL_RECONCILE_SETTLE_SECONDS', 120, {
      min: 0,
      max: 900,
    }),
    // A job not reconciled in a day goes to the DLQ unsent: the search has been failing that long.
    reconcileLimitHours: optionalInteger(env, 'EMAIL_RECONCILE_LIMIT_HOURS', 24, {
      min: 1,
      max: 14 * 24,
    }),
    functionTimeoutSeconds: timeoutSeconds,
  });
}

/** The validated settings. */
export type EmailBatcherConfig = ReturnType<typeof loadEmailBatcherConfig>;
