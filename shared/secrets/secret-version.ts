import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * The version id of a secret's `AWSCURRENT` value, read with `DescribeSecret` (the value is never
 * read for this) and kept for `cacheMs`, so jobs held for a refusal ask at most that often. Resolves
 * to `undefined` when it cannot be read: then a refusal's cool-down simply runs its course.
 */
export function secretVersionReader(options: {
  client: SecretsManagerClient;
  secretName: string;
  cacheMs: number;
  now: () => number;
}): () => Promise<string | undefined> {
  let cached: { at: number; version: string | undefined } | undefined;
  return async () => {
    const now = options.now();
    if (cached && now - cached.at < options.cacheMs) return cached.version;
    let version: string | undefined;
    try {
      const described = await options.client.send(
        new DescribeSecretCommand({ SecretId: options.secretName }),
      );
      version = Object.entries(described.VersionIdsToStages ?? {}).find(([, stages]) =>
        stages.includes('AWSCURRENT'),
      )?.[0];
    } catch {
      version = undefined;
    }
    cached = { at: now, version };
    return version;
  };
}
