import { SignatureError } from '../../../../shared/errors';
import { matchHmacSha256 } from '../compare';
import { decodeHex } from '../encoding';
import { requireHeader } from '../headers';
import { assertWithinTolerance, parseTimestamp } from '../timestamp';
import type { Verifier } from '../types';

const HEADER = 'stripe-signature';

/** The parts of a `Stripe-Signature` header that verification uses. */
export interface StripeSignatureHeader {
  /** The `t` value exactly as sent: the signed payload uses this text, not a re-formatted number. */
  timestampText: string;
  timestamp: number;
  /** Every well-formed `v1` signature; Stripe sends several while an endpoint secret is rolled. */
  signatures: Buffer[];
}

/**
 * Parses `t=<unix>,v1=<hex>[,v1=<hex>][,v0=<hex>]`. Other schemes (`v0`, the legacy test-mode
 * signature) and unknown keys are ignored, as Stripe asks; a `v1` that is not hex is dropped.
 *
 * @throws SignatureError when `t` is missing, repeated or not an integer, or no `v1` is present.
 */
export function parseStripeSignatureHeader(header: string): StripeSignatureHeader {
  const timestamps: string[] = [];
  const v1: string[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    if (separator < 0) continue;
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === 't') timestamps.push(value);
    else if (key === 'v1') v1.push(value);
  }
  const [timestampText] = timestamps;
  if (timestamps.length !== 1 || timestampText === undefined || v1.length === 0) {
    throw new SignatureError(`malformed ${HEADER} header`);
  }
  const signatures = v1.map(decodeHex).filter((bytes) => bytes !== undefined);
  return { timestampText, timestamp: parseTimestamp(timestampText), signatures };
}

/**
 * Verifies Stripe's scheme: HMAC-SHA256 of `${t}.${rawBody}` keyed with the whole `whsec_...`
 * string (Stripe does not decode it), any `v1` may match, and `t` must be within the tolerance.
 * The signature is checked before the clock so a stale-timestamp answer is only given for a
 * genuine request, which tells operators "clock or replay" rather than "forgery".
 */
export const verifyStripeSignature: Verifier = (request, options) => {
  const header = parseStripeSignatureHeader(requireHeader(request.headers, HEADER));
  const secretIndex = matchHmacSha256(
    options.secrets,
    header.signatures,
    `${header.timestampText}.`,
    request.rawBody,
  );
  assertWithinTolerance(header.timestamp, options);
  return { timestamp: header.timestamp, secretIndex };
};
