import { optionalInteger } from '../config';

type Env = Record<string, string | undefined>;

/** Every variable `loadClientOptions` reads: settings a local run may override from the shell. */
export const clientSettings: readonly string[] = Object.freeze([
  'AWS_CLIENT_MAX_ATTEMPTS',
  'AWS_CLIENT_CONNECT_TIMEOUT_MS',
  'AWS_CLIENT_REQUEST_TIMEOUT_MS',
]);

/** Reads and checks the client limits; a malformed value fails start-up with the variable's name. */
export function loadClientOptions(env: Env) {
  return Object.freeze({
    maxAttempts: optionalInteger(env, 'AWS_CLIENT_MAX_ATTEMPTS', 2, { min: 1, max: 10 }),
    requestHandler: {
      connectionTimeout: optionalInteger(env, 'AWS_CLIENT_CONNECT_TIMEOUT_MS', 1000, {
        min: 10,
        max: 60_000,
      }),
      requestTimeout: optionalInteger(env, 'AWS_CLIENT_REQUEST_TIMEOUT_MS', 3000, {
        min: 10,
        max: 300_000,
      }),
    },
  });
}

/**
 * Timeouts shared by every AWS SDK client. No endpoint is set here: the SDK reads
 * `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_SECRETS_MANAGER`, which is
 * how local runs reach the local servers with the same code.
 */
export const clientOptions = loadClientOptions(process.env);
