import { matchHmacSha256 } from '../compare';
import { decodeHex } from '../encoding';
import { requireHeader } from '../headers';
import { assertWithinTolerance, parseTimestamp } from '../timestamp';
import type { Verifier } from '../types';

const SIGNATURE_HEADER = 'x-slack-signature';
const TIMESTAMP_HEADER = 'x-slack-request-timestamp';
const VERSION = 'v0';

/**
 * Verifies Slack's `X-Slack-Signature: v0=<hex>`, HMAC-SHA256 of `v0:${timestamp}:${rawBody}` with
 * the signing secret, where the timestamp comes from `X-Slack-Request-Timestamp` and must be within
 * the tolerance. Slack retries carry a fresh timestamp, so the tolerance never rejects a retry.
 */
export const verifySlackSignature: Verifier = (request, options) => {
  const value = requireHeader(request.headers, SIGNATURE_HEADER);
  const timestampText = requireHeader(request.headers, TIMESTAMP_HEADER);
  const timestamp = parseTimestamp(timestampText);
  const prefix = `${VERSION}=`;
  const signature = value.startsWith(prefix) ? decodeHex(value.slice(prefix.length)) : undefined;
  const secretIndex = matchHmacSha256(
    options.secrets,
    [signature],
    `${VERSION}:${timestampText}:`,
    request.rawBody,
  );
  assertWithinTolerance(timestamp, options);
  return { timestamp, secretIndex };
};
