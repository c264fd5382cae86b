import {
  optionalInteger,
  optionalString,
  requireString,
  SECRETS_SETTINGS,
  secretsSettings,
} from '../../shared/config';

type Env = Record<string, string | undefined>;

/** Dedupe records must outlive Stripe's three days of retries; four days leaves a margin. */
const DEDUPE_MIN_SECONDS = 72 * 3600;

/**
 * The ingest function's settings, read and checked once at cold start. A missing or malformed value
 * fails start-up with the variable's name.
 */
export function loadIngestConfig(env: Env) {
  return Object.freeze({
    sourcesProfile: optionalString(env, 'SOURCES_PROFILE', 'default'),
    ...secretsSettings(env),
    idempotencyTable: requireString(env, 'IDEMPOTENCY_TABLE'),
    stateTable: requireString(env, 'STATE_TABLE'),
    emailJobsQueueUrl: requireString(env, 'EMAIL_JOBS_QUEUE_URL'),
    emailJobsDlqUrl: requireString(env, 'EMAIL_JOBS_DLQ_URL'),
    workflowJobsQueueUrl: requireString(env, 'WORKFLOW_JOBS_QUEUE_URL'),
    dedupeSeconds: optionalInteger(env, 'DEDUPE_TTL_SECONDS', 4 * 24 * 3600, {
      min: DEDUPE_MIN_SECONDS,
      max: 30 * 24 * 3600,
    }),
    maxBodyBytes: optionalInteger(env, 'MAX_BODY_BYTES', 256 * 1024, {
      min: 1,
      max: 6 * 1024 * 1024,
    }),
    // SQS takes messages and batches up to 256 KiB by default (1 MiB when the queue is raised).
    maxMessageBytes: optionalInteger(env, 'MAX_MESSAGE_BYTES', 256 * 1024, {
      min: 1024,
      max: 1024 * 1024,
    }),
    // Deeper than any real webhook (Stripe's and GitHub's stay under 10), far below what overflows.
    maxJsonDepth: optionalInteger(env, 'MAX_JSON_DEPTH', 64, { min: 8, max: 512 }),
    // Length cap of one template placeholder's value: a longer value dead-letters its job as
    // invalid-job, naming the field and the path (a name or an invoice number is far shorter).
    templateValueMaxChars: optionalInteger(env, 'TEMPLATE_VALUE_MAX_CHARS', 2000, {
      min: 1,
      max: 100_000,
    }),
    abuseCeilingShards: optionalInteger(env, 'ABUSE_CEILING_SHARDS', 1, { min: 1, max: 100 }),
    inProgressRetryAfterSeconds: optionalInteger(env, 'IN_PROGRESS_RETRY_AFTER_SECONDS', 2, {
      min: 1,
      max: 900,
    }),
  });
}

/** The validated settings. */
export type IngestConfig = ReturnType<typeof loadIngestConfig>;

/**
 * Every variable `loadIngestConfig` reads: the settings a local run may override from the shell
 * (`MAX_BODY_BYTES=100 npm run dev`). A unit test holds this list to what the loader really reads.
 */
export const ingestSettings: readonly string[] = Object.freeze([
  'SOURCES_PROFILE',
  ...SECRETS_SETTINGS,
  'IDEMPOTENCY_TABLE',
  'STATE_TABLE',
  'EMAIL_JOBS_QUEUE_URL',
  'EMAIL_JOBS_DLQ_URL',
  'WORKFLOW_JOBS_QUEUE_URL',
  'DEDUPE_TTL_SECONDS',
  'MAX_BODY_BYTES',
  'MAX_MESSAGE_BYTES',
  'MAX_JSON_DEPTH',
  'TEMPLATE_VALUE_MAX_CHARS',
  'ABUSE_CEILING_SHARDS',
  'IN_PROGRESS_RETRY_AFTER_SECONDS',
]);
