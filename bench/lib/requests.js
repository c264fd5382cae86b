// Signed webhook requests for the benchmarks, made with the same signer as `npm run send` and the tests.

const { randomUUID } = require('node:crypto');
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { freshen, localSource, signedRequest } = require('../../local/send');

const root = path.resolve(__dirname, '../..');

/**
 * A factory of signed requests for one demo source of the local profile, each with fresh event ids.
 * @param {string} sourceName e.g. 'stripe'
 * @param {string} [sampleName] file name in events/webhooks without `.json` (defaults to the source)
 */
function signedRequests(sourceName, sampleName = sourceName) {
  const { source, secret } = localSource(sourceName);
  const sample = JSON.parse(
    readFileSync(path.join(root, 'events/webhooks', `${sampleName}.json`), 'utf8'),
  );
  return {
    source,
    secret,
    /** @returns {{ body: string, headers: Record<string, string> }} */
    next: () => signedRequest(source, freshen(sample), secret),
  };
}

/**
 * An API Gateway HTTP API (payload 2.0) event for `POST /webhooks/{source}`, shaped like
 * test/helpers/webhook-requests.ts `httpEvent`.
 * @param {string} sourceName
 * @param {{ body: string, headers: Record<string, string> }} request
 */
function httpEvent(sourceName, request) {
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{source}',
    rawPath: `/webhooks/${sourceName}`,
    rawQueryString: '',
    headers: request.headers,
    pathParameters: { source: sourceName },
    isBase64Encoded: false,
    body: request.body,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: '127.0.0.1',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: `/webhooks/${sourceName}`,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey: 'POST /webhooks/{source}',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
  };
}

/**
 * A Lambda context like the runtime passes, for a function of `memoryMb` with `timeoutSeconds`.
 * @param {string} functionName
 * @param {{ memoryMb?: number, timeoutSeconds?: number }} [options]
 */
function lambdaContext(functionName, { memoryMb = 1024, timeoutSeconds = 10 } = {}) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

module.exports = { signedRequests, httpEvent, lambdaContext };
