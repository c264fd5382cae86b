import { matchSignature } from '../compare';
import { decodeBase64 } from '../encoding';
import { requireHeader } from '../headers';
import { hmacSha256 } from '../hmac';
import { assertWithinTolerance, parseTimestamp } from '../timestamp';
import type { Verifier } from '../types';

const SECRET_PREFIX = 'whsec_';
const SYMMETRIC_VERSION = 'v1';

/**
 * Turns a Standard Webhooks secret into its HMAC key: the base64 after `whsec_`, or the whole
 * string as base64 when the prefix is absent (the reference libraries accept both). Returns
 * `undefined` for a secret that is empty or not base64, so it never matches.
 */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = decodeBase64(encoded);
  return key !== undefined && key.length > 0 ? key : undefined;
}

/**
 * Collects the `v1,<base64>` entries of a `webhook-signature` header. The header is a
 * space-separated list so a sender can sign with several keys during rotation; other versions
 * (such as asymmetric `v1a`) are skipped, and a malformed `v1` entry is dropped.
 */
export function parseStandardSignatures(header: string): Buffer[] {
  const signatures: Buffer[] = [];
  for (const entry of header.split(/\s+/)) {
    const separator = entry.indexOf(',');
    if (separator < 0 || entry.slice(0, separator) !== SYMMETRIC_VERSION) continue;
    const bytes = decodeBase64(entry.slice(separator + 1));
    if (bytes !== undefined) signatures.push(bytes);
  }
  return signatures;
}

/**
 * Verifies a Standard Webhooks request: HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}`
 * with the decoded `whsec_` key, matched against any `v1` signature, with the timestamp within the
 * tolerance. The id is signed, which is why dedupe may trust it for this scheme.
 */
export const verifyStandardSignature: Verifier = (request, options) => {
  const id = requireHeader(request.headers, 'webhook-id');
  const timestampText = requireHeader(request.headers, 'webhook-timestamp');
  const signatures = parseStandardSignatures(requireHeader(request.headers, 'webhook-signature'));
  const timestamp = parseTimestamp(timestampText);
  const secretIndex = matchSignature(options.secrets, signatures, (secret) => {
    const key = standardWebhooksKey(secret);
    return key && hmacSha256(key, `${id}.${timestampText}.`, request.rawBody);
  });
  assertWithinTolerance(timestamp, options);
  return { timestamp, secretIndex };
};
