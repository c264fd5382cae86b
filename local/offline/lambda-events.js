// What Lambda hands a handler (an HTTP API event, a context), for tests and benchmarks that call a
// handler directly.

const { randomUUID } = require('node:crypto');

/**
 * @param {string} sourceName
 * @param {{ body: string, headers: Record<string, string> }} request the exact body and headers sent
 * @param {{ base64?: boolean, requestId?: string }} [options] `base64`: hand the body over encoded, as
 *   API Gateway does for binary content types
 * @returns {import('aws-lambda').APIGatewayProxyEventV2}
 */
function httpEvent(sourceName, request, options = {}) {
  const now = Date.now();
  const path = `/webhooks/${sourceName}`;
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{source}',
    rawPath: path,
    rawQueryString: '',
    headers: request.headers,
    pathParameters: { source: sourceName },
    isBase64Encoded: options.base64 ?? false,
    body: options.base64 ? Buffer.from(request.body).toString('base64') : request.body,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: 'POST',
        path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'local',
      },
      requestId: options.requestId ?? randomUUID(),
      routeKey: 'POST /webhooks/{source}',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
  };
}

/**
 * A Lambda context like the runtime passes, for a function of `memoryMb` with `timeoutSeconds`, so
 * in-progress dedupe records expire with the invocation as they do in Lambda.
 * @param {string} functionName
 * @param {{ memoryMb?: number, timeoutSeconds?: number }} [options]
 * @returns {import('aws-lambda').Context}
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
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

module.exports = { httpEvent, lambdaContext };
