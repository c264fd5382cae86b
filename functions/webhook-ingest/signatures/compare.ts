import { timingSafeEqual } from 'node:crypto';
import { SignatureError, SignatureMismatchError } from '../../../shared/errors';
import { hmacSha256 } from './hmac';

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
 * time; stopping at the first match leaks only that the request was genuine. `undefined` entries
 * (signatures that did not decode) are dropped.
 *
 * @throws SignatureError when no secret is configured or no signature decoded;
 *   SignatureMismatchError when none matches.
 */
export function matchSignature(
  secrets: readonly string[],
  presentedOrUndecoded: readonly (Buffer | undefined)[],
  macFor: MacForSecret,
): number {
  const presented = presentedOrUndecoded.filter((bytes) => bytes !== undefined);
  if (secrets.length === 0) throw new SignatureError('signature cannot be verified');
  if (presented.length === 0) throw new SignatureError('malformed signature');
  for (const [index, secret] of secrets.entries()) {
    const expected = macFor(secret);
    if (expected === undefined) continue;
    for (const candidate of presented) {
      if (constantTimeEqual(expected, candidate)) return index;
    }
  }
  throw new SignatureMismatchError('no matching signature');
}

/**
 * {@link matchSignature} for the schemes keyed with the secret string as is: HMAC-SHA256 of the
 * `signedParts` concatenated. An empty secret never matches.
 */
export function matchHmacSha256(
  secrets: readonly string[],
  presented: readonly (Buffer | undefined)[],
  ...signedParts: (string | Uint8Array)[]
): number {
  return matchSignature(secrets, presented, (secret) =>
    secret === '' ? undefined : hmacSha256(secret, ...signedParts),
  );
}
