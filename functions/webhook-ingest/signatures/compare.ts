import { timingSafeEqual } from 'node:crypto';
import { SignatureError } from '../../../shared/errors';

/**
 * Compares two byte strings in time that depends only on their length. The length check comes
 * first because `timingSafeEqual` throws a RangeError on unequal lengths, and the length of an
 * HMAC is public anyway.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Computes the expected MAC for one secret, or `undefined` when that secret cannot be used as a key
 * (empty, or not decodable), so a broken entry never matches instead of breaking verification.
 */
export type MacForSecret = (secret: string) => Buffer | undefined;

/**
 * Tries each secret in order (current first, then previous) against every presented signature and
 * returns the index of the first secret that produced one of them. Each comparison is constant
 * time; stopping at the first match leaks only that the request was genuine.
 *
 * @throws SignatureError when no secret is configured or none matches.
 */
export function matchSignature(
  secrets: readonly string[],
  presented: readonly Buffer[],
  macFor: MacForSecret,
): number {
  if (secrets.length === 0) throw new SignatureError('signature cannot be verified');
  if (presented.length === 0) throw new SignatureError('malformed signature');
  for (const [index, secret] of secrets.entries()) {
    const expected = macFor(secret);
    if (expected === undefined) continue;
    for (const candidate of presented) {
      if (constantTimeEqual(expected, candidate)) return index;
    }
  }
  throw new SignatureError('no matching signature');
}
