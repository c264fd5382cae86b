const http = require('node:http');
const { LambdaClient } = require('@aws-sdk/client-lambda');
const { LOCAL_REGION } = require('../stack/cloudformation-local');

/**
 * A client for serverless-offline's Lambda invoke API, as the local stack's own callers (the SQS event
 * source, the schedule) use it.
 *
 * It opens a new connection per invocation instead of keeping idle ones. serverless-offline's Lambda
 * server is a Node HTTP server that closes a connection after 5 s idle (its keep-alive timeout); the
 * SDK's default agent keeps connections longer, so an invocation after a few idle seconds could be
 * written to a socket the server was closing and fail with `ECONNRESET` (seen as a whole batch failed
 * and then waiting out its visibility timeout). A loopback connection costs well under a millisecond,
 * so not reusing them is cheaper than any keep-alive race.
 *
 * It never retries (`maxAttempts: 1`): a reset or a timeout does not prove the handler did not run, so
 * the record goes back to the queue the way Lambda's event source hands back a failed batch, and the
 * handlers' idempotency absorbs a second delivery.
 * @param {{ endpoint: string, requestTimeoutMs: number }} options
 * @returns {LambdaClient}
 */
function localLambdaClient({ endpoint, requestTimeoutMs }) {
  return new LambdaClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: 1000,
      requestTimeout: requestTimeoutMs,
      throwOnRequestTimeout: true,
      httpAgent: new http.Agent({ keepAlive: false }),
    },
  });
}

module.exports = { localLambdaClient };
