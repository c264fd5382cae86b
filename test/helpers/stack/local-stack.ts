import { readFileSync } from 'node:fs';
import { loadTimeoutSettings, sdkClientOptions } from '../../../shared/clients/options';

/** What the running local stack listens on, as written to its state file by `local/stack/stack-report.js`. */
export interface LocalStackState {
  pid: number;
  dynamoDbPid: number;
  stage: string;
  region: string;
  http: string;
  lambda: string;
  /** By function key: the name the Lambda API knows it by and the URL that invokes it. */
  functions: Record<string, { name: string; invokeUrl: string }>;
  sqs: string;
  dynamodb: string;
  secretsManager: string;
  /** The sandbox email provider's base URL. */
  emailSandbox: string;
  /** The sandbox workflow engine's base URL. */
  workflowSandbox: string;
  queues: Record<string, { name: string; url: string; arn: string }>;
  tables: Record<string, { name: string; arn: string }>;
  secrets: string[];
  eventSources: { function: string; queue: string }[];
  /** Where the stack appends the handlers' JSON log lines (what `npm run trace` reads). */
  logFile?: string;
}

let cached: LocalStackState | undefined;

/**
 * The running local stack (started by jest's global setup, or your own `npm run dev` with
 * LOCAL_STACK_STATE_FILE pointing at its state file). Throws with a hint when there is none.
 */
export function localStack(): LocalStackState {
  if (cached) return cached;
  const file = process.env.LOCAL_STACK_STATE_FILE;
  if (!file) {
    throw new Error(
      'No local stack: LOCAL_STACK_STATE_FILE is not set. Run the integration project through jest ' +
        '(its global setup starts one), or set LOCAL_STACK_STATE_FILE for a stack you started.',
    );
  }
  cached = JSON.parse(readFileSync(file, 'utf8')) as LocalStackState;
  return cached;
}

/**
 * Finds an entry by logical id (`EmailJobsQueue`), full name (`connector-suite-local-email-jobs`) or
 * the name without the `<service>-<stage>-` prefix (`email-jobs`, `email-jobs-dlq`).
 */
function find<T extends { name: string }>(
  entries: Record<string, T>,
  key: string,
  kind: string,
): T {
  const all = Object.entries(entries);
  const match =
    entries[key] ??
    all.find(([, entry]) => entry.name === key)?.[1] ??
    all.find(([, entry]) => entry.name.endsWith(`-${localStack().stage}-${key}`))?.[1];
  if (!match) {
    const known = all.map(([id, entry]) => `${id} (${entry.name})`).join(', ');
    throw new Error(`No local ${kind} "${key}". Known: ${known || 'none'}`);
  }
  return match;
}

/** URL of a queue of `resources/`, e.g. `queueUrl('email-jobs')`. */
export function queueUrl(key: string): string {
  return find(localStack().queues, key, 'queue').url;
}

/** ARN of a queue of `resources/`, as event source records carry it. */
export function queueArn(key: string): string {
  return find(localStack().queues, key, 'queue').arn;
}

/** Name of a table of `resources/`, e.g. `tableName('state')`. */
export function tableName(key: string): string {
  return find(localStack().tables, key, 'table').name;
}

/** A URL on serverless-offline's HTTP API, e.g. `httpUrl('/webhooks/stripe')`. */
export function httpUrl(path = ''): string {
  return `${localStack().http}${path}`;
}

/**
 * Options for SDK clients in tests: bounded timeouts, local region and dummy credentials. The endpoint
 * comes from AWS_ENDPOINT_URL_* (set by test/setup/local-env.js).
 */
export function localClientOptions(requestTimeout = 5000) {
  return {
    region: localStack().region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout },
  };
}

/**
 * The options a function's clients get in production (its timeouts, which throw), pointed at `endpoint`
 * of the local stack, or at a proxy a test can hang between the function and a dependency.
 */
export function productionClientOptions(endpoint: string) {
  return { ...localClientOptions(), ...sdkClientOptions(loadTimeoutSettings({})), endpoint };
}
