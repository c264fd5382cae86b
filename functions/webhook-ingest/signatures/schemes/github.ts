import { matchHmacSha256 } from '../compare';
import { decodeHex } from '../encoding';
import { requireHeader } from '../headers';
import type { Verifier } from '../types';

const HEADER = 'x-hub-signature-256';
const PREFIX = 'sha256=';

/**
 * Verifies GitHub's `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body. Only the
 * SHA-256 header counts: the legacy SHA-1 `X-Hub-Signature` is ignored on purpose. GitHub signs no
 * timestamp, so replay protection comes from dedupe on the body hash, not from here.
 */
export const verifyGithubSignature: Verifier = (request, options) => {
  const value = requireHeader(request.headers, HEADER);
  const signature = value.startsWith(PREFIX) ? decodeHex(value.slice(PREFIX.length)) : undefined;
  const secretIndex = matchHmacSha256(options.secrets, [signature], request.rawBody);
  return { secretIndex };
};
