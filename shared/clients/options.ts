import { optionalInteger } from '../config';

/**
 * Timeouts shared by every AWS SDK client. No endpoint is set here: the SDK reads
 * `AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB` and `AWS_ENDPOINT_URL_SECRETS_MANAGER`, which is
 * how local runs reach the local servers with the same code.
 */
export const clientOptions = Object.freeze({
  maxAttempts: optionalInteger(process.env, 'AWS_CLIENT_MAX_ATTEMPTS', 2, { min: 1, max: 10 }),
  requestHandler: {
    connectionTimeout: optionalInteger(process.env, 'AWS_CLIENT_CONNECT_TIMEOUT_MS', 1000, {
      min: 10,
      max: 60_000,
    }),
    requestTimeout: optionalInteger(process.env, 'AWS_CLIENT_REQUEST_TIMEOUT_MS', 3000, {
      min: 10,
      max: 300_000,
    }),
  },
});
