import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyError } from '../errors';

/** Settings for {@link SecretCache}. */
export interface SecretCacheOptions {
  client: SecretsManagerClient;
  /** How long a secret is served from memory: minutes, not the container's life, so rotation lands. */
  maxAgeSeconds: number;
  /** The least time between two forced refreshes of one secret, so bad signatures cannot flood it. */
  minRefreshIntervalSeconds: number;
  now: () => number;
}

/**
 * Reads JSON secrets through Powertools Parameters (which caches them for `maxAgeSeconds`) and allows
 * one early, rate-limited refresh when a cached secret stops working (a rotation happened).
 */
export class SecretCache {
  readonly #provider: SecretsProvider;
  readonly #options: SecretCacheOptions;
  readonly #lastRefresh = new Map<string, number>();

  constructor(options: SecretCacheOptions) {
    this.#options = options;
    this.#provider = new SecretsProvider({ awsSdkV3Client: options.client });
  }

  /** The secret's JSON value, from the cache when it is fresh enough. */
  get(name: string): Promise<unknown> {
    return this.#fetch(name, false);
  }

  /** The secret fetched anew, or `undefined` when this secret was refreshed too recently. */
  async refresh(name: string): Promise<unknown | undefined> {
    const now = this.#options.now();
    const last = this.#lastRefresh.get(name);
    if (last !== undefined && now - last < this.#options.minRefreshIntervalSeconds * 1000) {
      return undefined;
    }
    this.#lastRefresh.set(name, now);
    return this.#fetch(name, true);
  }

  async #fetch(name: string, forceFetch: boolean): Promise<unknown> {
    try {
      return await this.#provider.get(name, {
        maxAge: this.#options.maxAgeSeconds,
        transform: 'json',
        forceFetch,
      });
    } catch (error) {
      // A missing or unreadable secret is our configuration or a dependency, never the sender's fault:
      // answer 503 so the sender retries once it is fixed. The detail names no secret.
      throw new DependencyError('A credential needed to verify this request is unavailable', {
        cause: error,
      });
    }
  }
}
