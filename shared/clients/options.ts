import { optionalInteger } from '../config';

type Env = Record<string, string | undefined>;

/**
 * Every timeout of the suite's outbound calls, in one place (the "Timeouts" table of docs/configuration.md repeats
 * them). A hung dependency must become a fast 503 or a retry, never a function timeout:
 * - each attempt of an AWS SDK call fails after `requestTimeoutMs` without an answer (or
 *   `connectTimeoutMs` without a connection), and is tried at most `maxAttempts` times;
 * - one deadline per invocation (`deadlineMs`) bounds all of its calls together, retries included;
 *   the last `cleanupReserveMs` of it are kept for undoing a half-done step (Powertools deleting its
 *   in-progress record), so the work itself stops at `deadlineMs - cleanupReserveMs`.
 */
export interface TimeoutSettings {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxAttempts: number;
  deadlineMs: number;
  cleanupReserveMs: number;
}

/** Reads the timeout settings; each has a default and bounds, and a bad value names its variable. */
export function loadTimeoutSettings(env: Env): TimeoutSettings {
  const settings = {
    connectTimeoutMs: optionalInteger(env, 'AWS_CLIENT_CONNECT_TIMEOUT_MS', 1000, {
      min: 10,
      max: 60_000,
    }),
    requestTimeoutMs: optionalInteger(env, 'AWS_CLIENT_REQUEST_TIMEOUT_MS', 2000, {
      min: 10,
      max: 300_000,
    }),
    maxAttempts: optionalInteger(env, 'AWS_CLIENT_MAX_ATTEMPTS', 2, { min: 1, max: 10 }),
    deadlineMs: optionalInteger(env, 'REQUEST_DEADLINE_MS', 4000, { min: 100, max: 900_000 }),
    cleanupReserveMs: optionalInteger(env, 'REQUEST_CLEANUP_RESERVE_MS', 800, {
      min: 0,
      max: 60_000,
    }),
  };
  if (settings.cleanupReserveMs >= settings.deadlineMs) {
    throw new RangeError(
      'REQUEST_CLEANUP_RESERVE_MS must be smaller than REQUEST_DEADLINE_MS, ' +
        `got ${settings.cleanupReserveMs} and ${settings.deadlineMs}`,
    );
  }
  return Object.freeze(settings);
}

/** Names of the variables {@link loadTimeoutSettings} reads, for tools that forward settings. */
export const TIMEOUT_SETTINGS = Object.freeze([
  'AWS_CLIENT_CONNECT_TIMEOUT_MS',
  'AWS_CLIENT_REQUEST_TIMEOUT_MS',
  'AWS_CLIENT_MAX_ATTEMPTS',
  'REQUEST_DEADLINE_MS',
  'REQUEST_CLEANUP_RESERVE_MS',
]);

/** The container's timeout settings, read once at cold start. */
export const timeouts = loadTimeoutSettings(process.env);

/**
 * Options for an AWS SDK v3 client. `throwOnRequestTimeout` is what makes `requestTimeout` fail the
 * call: without it this SDK only logs a warning and a hung server holds the call until the function
 * times out. No endpoint is set: the SDK reads `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB` and
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER`, which is how local runs reach the local servers.
 */
export function sdkClientOptions(settings: TimeoutSettings = timeouts) {
  return {
    maxAttempts: settings.maxAttempts,
    requestHandler: {
      connectionTimeout: settings.connectTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}

/** The options every client of the suite is built with. */
export const clientOptions = Object.freeze(sdkClientOptions());
