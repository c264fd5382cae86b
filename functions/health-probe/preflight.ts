import { loadTimeoutSettings, TIMEOUT_SETTINGS } from '../../shared/clients/options';
import { type PreflightInput, settingProblems } from '../../shared/preflight';
import { SOURCES_FILE, sourceProfiles } from '../../shared/sources/profiles';
import { loadHealthConfig } from './config';

/** Every variable the health probe's loader reads. */
const HEALTH_SETTINGS = [
  'HEALTH_PROBE_PERIOD_SECONDS',
  'HEALTH_CHECK_TIMEOUT_MS',
  'HEALTH_BUDGET_MS',
  'SOURCES_PROFILE',
  'SECRETS_PREFIX',
  'SECRETS_CACHE_SECONDS',
  'IDEMPOTENCY_TABLE',
  'STATE_TABLE',
  'EMAIL_JOBS_QUEUE_URL',
  'EMAIL_JOBS_DLQ_URL',
  'WORKFLOW_JOBS_QUEUE_URL',
  'WORKFLOW_JOBS_DLQ_URL',
  'EMAIL_API_URL',
  'EMAIL_HEALTH_PATH',
  'WORKFLOW_API_URL',
  'WORKFLOW_HEALTH_PATH',
  'HEALTH_OTHER_SECRETS',
  'STATUS_KEY_SECRET',
  'STATUS_AUTH',
  'HEALTH_CLOUDWATCH',
  'HEALTH_LIVE_CACHE_SECONDS',
  'HEALTH_HISTORY_DAYS',
  'HEALTH_HISTORY_PARTITION',
  'SECRET_MAX_AGE_DAYS',
  'QUEUE_MAX_AGE_SECONDS',
  'CEILING_WARN_PERCENT',
  'CEILING_WINDOW_SECONDS',
  'ABUSE_CEILING_SHARDS',
  'WORKFLOW_ENGINE_NAME',
  'EMAIL_PROVIDER_ACCOUNT',
  'EMAIL_RATE_PER_SECOND',
  'EMAIL_RATE_BURST',
];

/** Every variable the health probe's loaders read: what a local run may override. */
export const settings: readonly string[] = Object.freeze([
  ...HEALTH_SETTINGS,
  ...TIMEOUT_SETTINGS,
  SOURCES_FILE,
]);

/** The health probe's start-up check: its settings and the sources catalog it reads ceilings from. */
export function preflight({ env }: PreflightInput): string[] {
  const problems = [
    ...settingProblems(loadHealthConfig, env, HEALTH_SETTINGS),
    ...settingProblems(loadTimeoutSettings, env, TIMEOUT_SETTINGS),
  ];
  try {
    sourceProfiles(env);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  return problems;
}
