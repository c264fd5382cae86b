import {
  optionalInteger,
  optionalString,
  requireString,
  requireUrl,
  SECRETS_SETTINGS,
  secretsSettings,
} from '../../shared/config';
import { BREAKER_SETTINGS, loadBreakerSettings } from '../../shared/workflow/settings';

type Env = Record<string, string | undefined>;

/** Every environment variable {@link loadWorkflowApiConfig} reads (for the start-up preflight). */
export const WORKFLOW_API_SETTINGS = Object.freeze([
  ...SECRETS_SETTINGS,
  'STATE_TABLE',
  'WORKFLOWS_PROFILE',
  'WORKFLOW_JOBS_QUEUE_URL',
  'WORKFLOW_API_URL',
  'WORKFLOW_ENGINE_NAME',
  'WORKFLOW_DIRECT_TIMEOUT_MS',
  'WORKFLOW_LEDGER_DAYS',
  'WORKFLOW_API_MAX_BODY_BYTES',
  'MAX_JSON_DEPTH',
  ...BREAKER_SETTINGS,
] as const);

/**
 * Settings of `POST /workflows/{name}`, read and checked once at cold start. It shares the trigger's
 * registry, ledger, breaker and queue, so the names and defaults are the trigger's.
 */
export function loadWorkflowApiConfig(env: Env) {
  // Short: the caller waits, and a slow engine only means the job is queued instead. It must leave
  // room inside the request's 4 s deadline for the claim before and the enqueue after.
  const directTimeoutMs = optionalInteger(env, 'WORKFLOW_DIRECT_TIMEOUT_MS', 1500, {
    min: 100,
    max: 2500,
  });
  return Object.freeze({
    ...secretsSettings(env),
    stateTable: requireString(env, 'STATE_TABLE'),
    workflowsProfile: optionalString(env, 'WORKFLOWS_PROFILE', 'default'),
    queueUrl: requireString(env, 'WORKFLOW_JOBS_QUEUE_URL'),
    apiUrl: requireUrl(env, 'WORKFLOW_API_URL'),
    engineName: optionalString(env, 'WORKFLOW_ENGINE_NAME', 'n8n'),
    directTimeoutMs,
    ledgerDays: optionalInteger(env, 'WORKFLOW_LEDGER_DAYS', 15, { min: 14, max: 365 }),
    // Under SQS's 256 KiB message limit, with room for the job's envelope and attributes.
    maxBodyBytes: optionalInteger(env, 'WORKFLOW_API_MAX_BODY_BYTES', 200_000, {
      min: 1024,
      max: 240_000,
    }),
    maxJsonDepth: optionalInteger(env, 'MAX_JSON_DEPTH', 64, { min: 8, max: 512 }),
    breaker: loadBreakerSettings(env, directTimeoutMs),
  });
}

/** The validated settings. */
export type WorkflowApiConfig = ReturnType<typeof loadWorkflowApiConfig>;
