import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { freshen, signedRequest } from '../../local/send';

/** A sample from events/webhooks: body plus the unsigned headers its provider sends. */
export interface Envelope {
  headers?: Record<string, string>;
  contentType?: string;
  id?: string;
  body: unknown;
}

/** How a source of the local profile signs. */
export interface SigningSource {
  scheme: string;
  signatureHeader?: string;
  signatureEncoding?: 'hex' | 'base64';
}

const root = path.resolve(__dirname, '../..');

/** Reads `events/webhooks/<name>.json`; with `fresh`, gives it new event ids. */
export function sample(name: string, options: { fresh?: boolean } = {}): Envelope {
  const envelope = JSON.parse(
    readFileSync(path.join(root, 'events/webhooks', `${name}.json`), 'utf8'),
  ) as Envelope;
  return options.fresh ? (freshen(envelope) as Envelope) : envelope;
}

/** Signs an envelope the way its provider would: the exact body text and headers. */
export function signed(
  source: SigningSource,
  envelope: Envelope,
  secret: string,
  timestamp?: number,
): { body: string; headers: Record<string, string> } {
  return signedRequest(source, envelope, secret, timestamp);
}

/** An API Gateway HTTP API (payload 2.0) event for `POST /webhooks/{source}`. */
export function httpEvent(
  sourceName: string,
  request: { body: string; headers: Record<string, string> },
  options: { base64?: boolean; requestId?: string } = {},
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/{source}',
    rawPath: `/webhooks/${sourceName}`,
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
        path: `/webhooks/${sourceName}`,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      requestId: options.requestId ?? `req-${Math.random().toString(36).slice(2)}`,
      routeKey: 'POST /webhooks/{source}',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
  };
}

/** A Lambda context with `remainingMs` left, so in-progress dedupe records expire as in Lambda. */
export function lambdaContext(remainingMs = 10_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'connector-suite-local-webhook-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn:
      'arn:aws:lambda:us-east-1:000000000000:function:connector-suite-local-webhook-ingest',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/connector-suite-local-webhook-ingest',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
