import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DependencyError } from '../errors';

/** Reads JSON secrets by name; `refresh` fetches anew, at most as often as allowed. */
export interface SecretSource {
  get(name: string): Promise<unknown>;
  refresh(name: string): Promise<unknown | undefined>;
}

/** The 503 every unusable credential becomes; `cause` (logged, never shown) says which and why. */
export function unavailable(cause: Error): DependencyError {
  return new DependencyError('A credential needed for this request is unavailable', { cause });
}

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
export class SecretCache implements SecretSource {
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
    let text: unknown;
    try {
      text = await this.#provider.get(name, { maxAge: this.#options.maxAgeSeconds, forceFetch });
    } catch (error) {
      // A missing or unreadable secret is our configuration or a dependency, never the sender's fault:
      // answer 503 so the sender retries once it is fixed. The detail names no secret.
      throw unavailable(new Error(`Secret ${name} could not be read`, { cause: error }));
    }
    if (typeof text !== 'string') {
      throw unavailable(new Error(`Secret ${name} has no SecretString`));
    }
    // Parsed here rather than by Powertools' JSON transform: a parser's message quotes the text it
    // choked on, which would put the start of the secret into the error log.
    try {
      return JSON.parse(text);
    } catch {
      throw unavailable(new Error(`Secret ${name} is not JSON`));
    }
  }
}

/** A function's secret cache, with the settings every function reads (`secretsSettings`). */
export function secretCacheFor(
  client: SecretsManagerClient,
  settings: { secretsCacheSeconds: number; secretsRefreshSeconds: number },
  now: () => number = Date.now,
): SecretCache {
  return new SecretCache({
    client,
    maxAgeSeconds: settings.secretsCacheSeconds,
    minRefreshIntervalSeconds: settings.secretsRefreshSeconds,
    now,
  });
}
