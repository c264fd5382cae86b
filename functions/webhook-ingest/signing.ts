import { SignatureMismatchError } from '../../shared/errors';
import { type SecretSource, unavailable } from '../../shared/secrets/secret-cache';
import type { Source } from '../../shared/sources/catalog';
import { type SignedRequest, type Verification, verifiers } from './signatures';

/**
 * Reads `{"current": "...", "previous": "..."}`; `previous` is accepted during a rotation. A value of
 * any other shape is our misconfiguration, so it is a 503 (the sender retries), not a 401.
 */
function signingSecrets(value: unknown, name: string): string[] {
  const secret = value as { current?: unknown; previous?: unknown } | null;
  if (typeof secret?.current !== 'string' || secret.current === '') {
    // Named by its shape only: the log must never carry any part of a secret.
    throw unavailable(
      new Error(`Secret ${name} is ${shapeOf(value)}; expected {"current": "..."}`),
    );
  }
  return typeof secret.previous === 'string' && secret.previous !== ''
    ? [secret.current, secret.previous]
    : [secret.current];
}

/** The JSON shape of a value, in words that reveal none of its content. */
function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const current = (value as { current?: unknown }).current;
  if (current === undefined) return 'an object without "current"';
  return `an object whose "current" is ${typeof current === 'string' ? 'empty' : `a ${typeof current}`}`;
}

/** What verification needs besides the request. */
export interface SigningDeps {
  secrets: SecretSource;
  nowSeconds: () => number;
}

/**
 * Verifies the request with the source's cached secrets; when no cached secret matches, fetches the
 * secret once more (rate-limited by the cache), because a rotation may have happened since it was
 * cached. A missing, malformed or expired signature is refused without that fetch: no rotation
 * explains it.
 */
export async function verifyRequest(
  source: Source,
  request: SignedRequest,
  deps: SigningDeps,
): Promise<Verification & { refreshed: boolean }> {
  const verify = (secrets: string[]) =>
    verifiers[source.scheme](request, {
      secrets,
      toleranceSeconds: source.toleranceSeconds,
      nowSeconds: deps.nowSeconds(),
      header: source.signatureHeader,
      encoding: source.signatureEncoding,
    });
  const cached = signingSecrets(await deps.secrets.get(source.secretName), source.secretName);
  try {
    return { ...verify(cached), refreshed: false };
  } catch (error) {
    if (!(error instanceof SignatureMismatchError)) throw error;
    const fresh = await deps.secrets.refresh(source.secretName);
    if (fresh === undefined) throw error;
    return { ...verify(signingSecrets(fresh, source.secretName)), refreshed: true };
  }
}
