import { ConfigError } from './errors';

/**
 * Small readers for environment values. Each function's own `config.ts` calls them once at cold start
 * and freezes the result, so a missing or malformed variable fails start-up with its name.
 */
type Env = Record<string, string | undefined>;

/** A required, non-empty string. */
export function requireString(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`Environment variable ${name} is required`);
  return value;
}

/** An optional string with a default. */
export function optionalString(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value ? value : fallback;
}

/** An optional whole number within bounds, with a default. */
export function optionalInteger(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `Environment variable ${name} must be a whole number from ${min} to ${max}, got "${raw}"`,
    );
  }
  return value;
}

/** The variables {@link secretsSettings} reads. */
export const SECRETS_SETTINGS = Object.freeze([
  'SECRETS_PREFIX',
  'SECRETS_CACHE_SECONDS',
  'SECRETS_REFRESH_INTERVAL_SECONDS',
] as const);

/**
 * Where a function's secrets live and how long they are cached: `SECRETS_PREFIX`,
 * `SECRETS_CACHE_SECONDS` (300) and `SECRETS_REFRESH_INTERVAL_SECONDS` (30, the least time between
 * two early refreshes of one secret), the same for every function.
 */
export function secretsSettings(env: Env) {
  return {
    secretsPrefix: requireString(env, 'SECRETS_PREFIX'),
    secretsCacheSeconds: optionalInteger(env, 'SECRETS_CACHE_SECONDS', 300, { min: 0, max: 3600 }),
    secretsRefreshSeconds: optionalInteger(env, 'SECRETS_REFRESH_INTERVAL_SECONDS', 30, {
      min: 0,
      max: 3600,
    }),
  };
}

/** An http(s) base URL without a trailing slash. */
export function requireUrl(env: Env, name: string): string {
  const value = requireString(env, name);
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`Environment variable ${name} must be an http(s) URL, got "${value}"`);
  }
  return value.replace(/\/+$/, '');
}
