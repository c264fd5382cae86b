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
import { DEFAULT_HOLD_RECHECK_SECONDS } from '../../shared/state/resume';
import { BREAKER_SETTINGS, loadBreakerSettings } from '../../shared/workflow/settings';

type Env = Record<string, string | undefined>;

/** Every environment variable {@link loadWorkflowTriggerConfig} reads (for the start-up preflight). */
export const WORKFLOW_TRIGGER_SETTINGS = Object.freeze([
  ...SECRETS_SETTINGS,
  'STATE_TABLE',
  'WORKFLOWS_PROFILE',
  'WORKFLOW_JOBS_QUEUE_URL',
  'WORKFLOW_JOBS_DLQ_URL',
  'WORKFLOW_API_URL',
  'WORKFLOW_ENGINE_NAME',
  'WORKFLOW_TIMEOUT_MS',
  'WORKFLOW_MAX_ATTEMPTS',
  'WORKFLOW_BACKOFF_BASE_SECONDS',
  'WORKFLOW_BACKOFF_MAX_SECONDS',
  'WORKFLOW_CLAIM_SECONDS',
  'WORKFLOW_LEDGER_DAYS',
  'WORKFLOW_HOLD_RECHECK_SECONDS',
  'FUNCTION_TIMEOUT_SECONDS',
  ...BREAKER_SETTINGS,
] as const);

/** The trigger's `timeout` in function.yml (FUNCTION_TIMEOUT_SECONDS there must say the same). */
export const WORKFLOW_TRIGGER_TIMEOUT_SECONDS = 20;

/** Engine calls one claim can make: the call, and once more after re-reading a refused token. */
export const WORKFLOW_CALLS_PER_CLAIM = 2;

/**
 * The workflow trigger's settings, read and checked once at cold start. A missing or malformed value
 * fails start-up with the variable's name.
 */
export function loadWorkflowTriggerConfig(env: Env) {
  const timeoutMs = optionalInteger(env, 'WORKFLOW_TIMEOUT_MS', 5000, { min: 100, max: 30_000 });
  const claimSeconds = optionalInteger(env, 'WORKFLOW_CLAIM_SECONDS', 60, { min: 1, max: 43_200 });
  checkClaimOutlastsHolder({
    claimVariable: 'WORKFLOW_CLAIM_SECONDS',
    claimSeconds,
    functionTimeoutSeconds: functionTimeoutSeconds(env, WORKFLOW_TRIGGER_TIMEOUT_SECONDS),
    callVariable: 'WORKFLOW_TIMEOUT_MS',
    callTimeoutMs: timeoutMs,
    callsPerClaim: WORKFLOW_CALLS_PER_CLAIM,
  });
  return Object.freeze({
    ...secretsSettings(env),
    stateTable: requireString(env, 'STATE_TABLE'),
    workflowsProfile: optionalString(env, 'WORKFLOWS_PROFILE', 'default'),
    queueUrl: requireString(env, 'WORKFLOW_JOBS_QUEUE_URL'),
    dlqUrl: requireString(env, 'WORKFLOW_JOBS_DLQ_URL'),
    apiUrl: requireUrl(env, 'WORKFLOW_API_URL'),
    engineName: optionalString(env, 'WORKFLOW_ENGINE_NAME', 'n8n'),
    timeoutMs,
    // 8 attempts with a 60 s base and a 2 h cap: the ceilings add up to about 4 h, the jittered
    // waits to about half of that.
    maxAttempts: optionalInteger(env, 'WORKFLOW_MAX_ATTEMPTS', 8, { min: 1, max: 100 }),
    backoffBaseSeconds: optionalInteger(env, 'WORKFLOW_BACKOFF_BASE_SECONDS', 60, {
      min: 1,
      max: 3600,
    }),
    backoffMaxSeconds: optionalInteger(env, 'WORKFLOW_BACKOFF_MAX_SECONDS', 7200, {
      min: 1,
      max: 43_200,
    }),
    claimSeconds,
    // Ledger items must outlive the DLQ's 14 days, so a redriven dead letter still finds its history.
    ledgerDays: optionalInteger(env, 'WORKFLOW_LEDGER_DAYS', 15, { min: 14, max: 365 }),
    breaker: loadBreakerSettings(env, timeoutMs),
    // Jobs held for an open breaker come back at least this often, so a resume reaches them soon.
    holdRecheckSeconds: optionalInteger(
      env,
      'WORKFLOW_HOLD_RECHECK_SECONDS',
      DEFAULT_HOLD_RECHECK_SECONDS,
      { min: 1, max: 900 },
    ),
  });
}

/** The validated settings. */
export type WorkflowTriggerConfig = ReturnType<typeof loadWorkflowTriggerConfig>;
