import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as events from '../../../local/offline/lambda-events';
import { freshen, signedRequest } from '../../../tools/send/send';

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

const root = path.resolve(__dirname, '../../..');

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
export const httpEvent: (
  sourceName: string,
  request: { body: string; headers: Record<string, string> },
  options?: { base64?: boolean; requestId?: string },
) => APIGatewayProxyEventV2 = events.httpEvent;

/** A Lambda context, so in-progress dedupe records expire with the invocation as in Lambda. */
export const lambdaContext = (): Context =>
  events.lambdaContext('connector-suite-local-webhook-ingest');
