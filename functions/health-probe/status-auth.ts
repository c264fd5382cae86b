import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { SecretSource } from '../../shared/secrets/secret-cache';

/** The credential a request presents: the password of HTTP Basic, or a Bearer token. */
export function presentedKey(event: APIGatewayProxyEventV2): string | undefined {
  const header = Object.entries(event.headers ?? {}).find(
    ([name]) => name.toLowerCase() === 'authorization',
  )?.[1];
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
 * Checks the status key against the secret (current or previous, so a rotation locks nobody out).
 * Every accepted key is compared, so the time taken does not tell which one matched. A key that no
 * longer matches is checked once more against a refreshed secret (it may just have rotated).
 * Throws a DependencyError (503) when the secret cannot be read.
 */
export function makeStatusKeyCheck(secrets: SecretSource, secretName: string) {
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
