import { DEFAULT_GENERIC_HEADER } from '../../../../shared/sources/schemes';
import { matchHmacSha256 } from '../compare';
import { decodeBase64, decodeHex } from '../encoding';
import { requireHeader } from '../headers';
import type { Verifier } from '../types';

// Many senders (GitHub-style) prefix the digest; accepting it costs nothing and saves a config knob.
const OPTIONAL_PREFIX = /^sha256=/i;

/**
 * Verifies the `generic` scheme: HMAC-SHA256 of the raw body in a configurable header
 * (`options.header`, default `x-signature`), written as hex (default) or base64
 * (`options.encoding`), with or without a `sha256=` prefix. No timestamp is signed.
 */
export const verifyGenericSignature: Verifier = (request, options) => {
  const name = (options.header ?? DEFAULT_GENERIC_HEADER).toLowerCase();
  const value = requireHeader(request.headers, name).replace(OPTIONAL_PREFIX, '');
  const signature = options.encoding === 'base64' ? decodeBase64(value) : decodeHex(value);
  const secretIndex = matchHmacSha256(options.secrets, [signature], request.rawBody);
  return { secretIndex };
};
