import { optionalInteger, optionalString, requireString } from '../../shared/config';
import { ConfigError } from '../../shared/errors';

type Env = Record<string, string | undefined>;

function optionalUrl(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(url.protocol);
    return value;
  } catch {
    throw new ConfigError(`Environment variable ${name} must be an http(s) URL, got "${value}"`);
  }
}

function onOff(env: Env, name: string, fallback: boolean): boolean {
  const value = optionalString(env, name, fallback ? 'on' : 'off').toLowerCase();
  if (value !== 'on' && value !== 'off') {
    throw new ConfigError(`Environment variable ${name} must be "on" or "off", got "${value}"`);
  }
  return value === 'on';
}

/** A comma-separated list, blanks dropped. */
function list(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/**
 * The health probe's settings, read and checked once at cold start. The environment holds names and
 * URLs only, never a secret value. A missing or malformed value fails start-up with the variable's name.
 */
export function loadHealthConfig(env: Env) {
  const periodSeconds = optionalInteger(env, 'HEALTH_PROBE_PERIOD_SECONDS', 60, {
    min: 1,
    max: 3600,
  });
  const checkTimeoutMs = optionalInteger(env, 'HEALTH_CHECK_TIMEOUT_MS', 1000, {
    min: 10,
    max: 10_000,
  });
  const budgetMs = optionalInteger(env, 'HEALTH_BUDGET_MS', 2500, { min: 10, max: 20_000 });
  if (checkTimeoutMs > budgetMs) {
    throw new ConfigError(
      `HEALTH_CHECK_TIMEOUT_MS (${checkTimeoutMs}) must not exceed HEALTH_BUDGET_MS (${budgetMs})`,
    );
  }
  return Object.freeze({
    sourcesProfile: optionalString(env, 'SOURCES_PROFILE', 'default'),
    secretsPrefix: requireString(env, 'SECRETS_PREFIX'),
    secretsCacheSeconds: optionalInteger(env, 'SECRETS_CACHE_SECONDS', 300, { min: 0, max: 3600 }),
    idempotencyTable: requireString(env, 'IDEMPOTENCY_TABLE'),
    stateTable: requireString(env, 'STATE_TABLE'),
    emailJobsQueueUrl: requireString(env, 'EMAIL_JOBS_QUEUE_URL'),
    emailJobsDlqUrl: requireString(env, 'EMAIL_JOBS_DLQ_URL'),
    workflowJobsQueueUrl: requireString(env, 'WORKFLOW_JOBS_QUEUE_URL'),
    workflowJobsDlqUrl: requireString(env, 'WORKFLOW_JOBS_DLQ_URL'),
    /** Left out (no check) when not set. */
    emailApiUrl: optionalUrl(env, 'EMAIL_API_URL'),
    emailHealthPath: optionalString(env, 'EMAIL_HEALTH_PATH', '/'),
    workflowApiUrl: optionalUrl(env, 'WORKFLOW_API_URL'),
    workflowHealthPath: optionalString(env, 'WORKFLOW_HEALTH_PATH', '/'),
    /** Secrets besides the signing secrets, relative to the prefix (`providers/email`, ...). */
    otherSecrets: list(env, 'HEALTH_OTHER_SECRETS'),
    /** The status page's credential, relative to the prefix. */
    statusKeySecret: optionalString(env, 'STATUS_KEY_SECRET', 'api-keys/status'),
    /** Off only on the local stage: there `/status` needs no credentials and `/health` shows all. */
    statusAuth: onOff(env, 'STATUS_AUTH', true),
    /** CloudWatch's queue age; off locally, where there is no CloudWatch. */
    cloudWatchChecks: onOff(env, 'HEALTH_CLOUDWATCH', true),
    periodSeconds,
    checkTimeoutMs,
    budgetMs,
    liveCacheSeconds: optionalInteger(env, 'HEALTH_LIVE_CACHE_SECONDS', 5, { min: 0, max: 300 }),
    historyDays: optionalInteger(env, 'HEALTH_HISTORY_DAYS', 7, { min: 1, max: 90 }),
    historyPartition: optionalString(env, 'HEALTH_HISTORY_PARTITION', 'health#run'),
    secretMaxAgeDays: optionalInteger(env, 'SECRET_MAX_AGE_DAYS', 90, { min: 1, max: 3650 }),
    queueMaxAgeSeconds: optionalInteger(env, 'QUEUE_MAX_AGE_SECONDS', 900, {
      min: 1,
      max: 1_209_600,
    }),
    ceilingWarnPercent: optionalInteger(env, 'CEILING_WARN_PERCENT', 80, { min: 1, max: 100 }),
    ceilingWindowSeconds: optionalInteger(env, 'CEILING_WINDOW_SECONDS', 10, { min: 1, max: 60 }),
    abuseCeilingShards: optionalInteger(env, 'ABUSE_CEILING_SHARDS', 1, { min: 1, max: 100 }),
    /** The engine whose circuit breaker the probe shows (the workflow trigger's, same default). */
    workflowEngineName: optionalString(env, 'WORKFLOW_ENGINE_NAME', 'n8n'),
    /** The email batcher's token bucket, as its function is configured (same defaults). */
    emailRateLimit: {
      account: optionalString(env, 'EMAIL_PROVIDER_ACCOUNT', 'postmark'),
      ratePerSecond: optionalInteger(env, 'EMAIL_RATE_PER_SECOND', 50, { min: 1, max: 100_000 }),
      burst: optionalInteger(env, 'EMAIL_RATE_BURST', 500, { min: 1, max: 100_000 }),
    },
  });
}

/** The validated settings. */
export type HealthConfig = ReturnType<typeof loadHealthConfig>;
