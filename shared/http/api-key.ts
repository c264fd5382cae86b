import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SecretSource } from '../secrets/secret-cache';

function headerOf(event: APIGatewayProxyEventV2, wanted: string): string | undefined {
  return Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === wanted)?.[1];
}

/**
 * The key a request presents: `X-Api-Key`, a Bearer token, or the password of HTTP Basic (what a
 * browser's login prompt sends).
 */
export function presentedKey(event: APIGatewayProxyEventV2): string | undefined {
  const apiKey = headerOf(event, 'x-api-key')?.trim();
  if (apiKey) return apiKey;
  const header = headerOf(event, 'authorization');
  if (!header) return undefined;
  const [scheme, value = ''] = header.trim().split(/\s+/, 2);
  if (scheme?.toLowerCase() === 'bearer') return value || undefined;
  if (scheme?.toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // The user name is not checked: a phone's login prompt needs one, the key is the password.
  return colon >= 0 ? decoded.slice(colon + 1) || undefined : undefined;
}

/** Compares in constant time whatever the lengths: both sides are hashed to 32 bytes first. */
function sameKey(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** The keys a secret `{"current", "previous"?}` accepts; anything malformed accepts none. */
function keysOf(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const { current, previous } = value as { current?: unknown; previous?: unknown };
  return [current, previous].filter((k): k is string => typeof k === 'string' && k.length > 0);
}

/**
 * Checks a request's API key against the secret (current or previous, so a rotation locks nobody out).
 * Every accepted key is compared, so the time taken does not tell which one matched. A key that no
 * longer matches is checked once more against a refreshed secret (it may just have rotated).
 * Throws a DependencyError (503) when the secret cannot be read.
 */
export function makeApiKeyCheck(secrets: SecretSource, secretName: string) {
  const matches = (given: string, value: unknown) =>
    keysOf(value)
      .map((key) => sameKey(given, key))
      .reduce((any, one) => any || one, false);
  return async (event: APIGatewayProxyEventV2): Promise<boolean> => {
    const given = presentedKey(event);
    if (given === undefined) return false;
    if (matches(given, await secrets.get(secretName))) return true;
    const refreshed = await secrets.refresh(secretName);
    return refreshed !== undefined && matches(given, refreshed);
  };
}
