import { matchHmacSha256 } from '../compare';
import { decodeBase64 } from '../encoding';
import { requireHeader } from '../headers';
import type { Verifier } from '../types';

const HEADER = 'x-shopify-hmac-sha256';

/**
 * Verifies Shopify's `X-Shopify-Hmac-Sha256`, the base64 HMAC-SHA256 of the raw body keyed with the
 * app's client secret. Shopify signs no timestamp, and `X-Shopify-Webhook-Id` is not signed, so
 * dedupe keys on the body hash instead.
 */
export const verifyShopifySignature: Verifier = (request, options) => {
  const signature = decodeBase64(requireHeader(request.headers, HEADER));
  const secretIndex = matchHmacSha256(options.secrets, [signature], request.rawBody);
  return { secretIndex };
};
