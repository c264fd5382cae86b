import { DependencyError, SignatureMismatchError } from '../../shared/errors';
import type { SecretCache } from '../../shared/secrets/secret-cache';
import { type SignedRequest, type Verification, verifiers } from './signatures';
import type { Source } from './sources';

/**
 * Reads `{"current": "...", "previous": "..."}`; `previous` is accepted during a rotation. A value of
 * any other shape is our misconfiguration, so it is a 503 (the sender retries), not a 401.
 */
function signingSecrets(value: unknown): string[] {
  const secret = value as { current?: unknown; previous?: unknown } | null;
  if (typeof secret?.current !== 'string' || secret.current === '') {
    throw new DependencyError('A credential needed to verify this request is unavailable', {
      cause: new Error('signing secret has no "current" string'),
    });
  }
  return typeof secret.previous === 'string' && secret.previous !== ''
    ? [secret.current, secret.previous]
    : [secret.current];
}

/** What verification needs besides the request. */
export interface SigningDeps {
  secrets: SecretCache;
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
  const cached = signingSecrets(await deps.secrets.get(source.secretName));
  try {
    return { ...verify(cached), refreshed: false };
  } catch (error) {
    if (!(error instanceof SignatureMismatchError)) throw error;
    const fresh = await deps.secrets.refresh(source.secretName);
    if (fresh === undefined) throw error;
    return { ...verify(signingSecrets(fresh)), refreshed: true };
  }
}
