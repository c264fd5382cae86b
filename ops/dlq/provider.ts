import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { searchCall } from '../../functions/email-batcher/reconcile';
import { optionalInteger } from '../../shared/config';
import type { ReplayReconciler } from './reconcile';
import type { EmailProviderAccess } from './target';

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
  let token: Promise<string> | undefined;
  const readToken = async () => {
    const { SecretString } = await access.secretsManager.send(
      new GetSecretValueCommand({ SecretId: access.secretName }),
    );
    const value = JSON.parse(SecretString ?? '{}') as { token?: unknown };
    if (typeof value.token !== 'string') throw new Error(`${access.secretName} has no "token"`);
    return value.token;
  };
  return {
    retentionMs: retentionDays * 86_400_000,
    now: Date.now,
    search: async (callRef) => {
      token ??= readToken();
      let current: string;
      try {
        current = await token;
      } catch (error) {
        token = undefined;
        return { kind: 'failed', detail: `provider token unreadable: ${(error as Error).message}` };
      }
      return searchCall({ baseUrl: access.baseUrl, timeoutMs: 10_000 }, current, callRef);
    },
  };
}
