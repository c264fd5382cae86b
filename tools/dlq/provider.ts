import { optionalInteger } from '../../shared/config';
import { providerTokenOf } from '../../shared/email/postmark';
import { searchCall } from '../../shared/email/reconcile';
import { secretCacheFor } from '../../shared/secrets/secret-cache';
import type { ReplayReconciler } from './reconcile';
import type { EmailProviderAccess } from './target';

/** One search, every page of it: an operator's tool may wait longer than a batcher. */
const SEARCH_TIMEOUT_MS = 10_000;

/**
 * The email provider's search for a replay: the token is read once from Secrets Manager and only ever
 * put in the request header. `EMAIL_PROVIDER_RETENTION_DAYS` (default 45, Postmark's default; an
 * account can keep messages 7 to 365 days) says how far back the search can see.
 */
export function emailReconciler(
  access: EmailProviderAccess,
  env: Record<string, string | undefined>,
): ReplayReconciler {
  const retentionDays = optionalInteger(env, 'EMAIL_PROVIDER_RETENTION_DAYS', 45, {
    min: 1,
    max: 365,
  });
  // The project's secret cache (Powertools Parameters, JSON parsed without quoting the secret in
  // errors), read once for the whole replay.
  const secrets = secretCacheFor(access.secretsManager, {
    secretsCacheSeconds: 3600,
    secretsRefreshSeconds: 3600,
  });
  return {
    retentionMs: retentionDays * 86_400_000,
    now: Date.now,
    search: async (callRef) => {
      let token: string;
      try {
        token = providerTokenOf(await secrets.get(access.secretName));
      } catch (error) {
        return { kind: 'failed', detail: `provider token unreadable: ${(error as Error).message}` };
      }
      return searchCall({ baseUrl: access.baseUrl, timeoutMs: SEARCH_TIMEOUT_MS }, token, callRef);
    },
  };
}
