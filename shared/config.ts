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

/**
 * The function's own timeout, `FUNCTION_TIMEOUT_SECONDS` (Lambda does not tell a function its
 * timeout before an invocation): each consumer's function.yml sets it beside its `timeout`, and a
 * unit test keeps the two equal.
 */
export function functionTimeoutSeconds(env: Env, fallback: number): number {
  return optionalInteger(env, 'FUNCTION_TIMEOUT_SECONDS', fallback, { min: 1, max: 900 });
}

/**
 * Refuses a claim that could run out while its holder may still act: the holder lives at most the
 * function's timeout, and every call it can make under one claim may still be running at the
 * provider when the holder dies, so the claim must outlast both added up. A shorter claim lets a
 * second consumer take the job over and call again while the first call may still land.
 */
export function checkClaimOutlastsHolder(options: {
  claimVariable: string;
  claimSeconds: number;
  functionTimeoutSeconds: number;
  callVariable: string;
  callTimeoutMs: number;
  /** Calls one claim can make (a refused token is re-read and tried once more: 2). */
  callsPerClaim: number;
  /** Another wait the holder can make before its calls (the email batcher's provider search). */
  extra?: { variable: string; ms: number };
}): void {
  const { claimSeconds, functionTimeoutSeconds: timeout, callTimeoutMs, callsPerClaim } = options;
  const extraMs = options.extra?.ms ?? 0;
  const neededMs = timeout * 1000 + callsPerClaim * callTimeoutMs + extraMs;
  if (claimSeconds * 1000 <= neededMs) {
    throw new ConfigError(
      `Environment variable ${options.claimVariable} (${claimSeconds}) must outlast the function ` +
        `timeout FUNCTION_TIMEOUT_SECONDS (${timeout} s) plus the ${callsPerClaim} calls one claim ` +
        `can make (${callsPerClaim} x ${options.callVariable} = ${callsPerClaim * callTimeoutMs} ms)` +
        (options.extra ? ` plus ${options.extra.variable} (${extraMs} ms)` : '') +
        ': ' +
        `more than ${neededMs / 1000} s`,
    );
  }
}
