import { SignatureError } from '../../../shared/errors';
import type { SignedRequest } from './types';

/**
 * Returns the headers with lower-cased names, as verifiers expect them. HTTP header names are
 * case-insensitive and API Gateway (payload 1.0) or a test may keep the sender's casing. Names that
 * collide after lower-casing are joined with ", " as HTTP combines repeated fields; undefined
 * values are dropped. `Object.fromEntries` keeps a `__proto__` header an ordinary key.
 */
export function lowerCaseHeaders(
  headers: Readonly<Record<string, string | undefined>> | null | undefined,
): Record<string, string> {
  const merged = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const previous = merged.get(key);
    merged.set(key, previous === undefined ? value : `${previous}, ${value}`);
  }
  return Object.fromEntries(merged);
}

/**
 * Reads a header the scheme cannot do without, trimmed.
 *
 * @throws SignatureError when it is absent or blank.
 */
export function requireHeader(headers: SignedRequest['headers'], name: string): string {
  const value = Object.hasOwn(headers, name) ? headers[name]?.trim() : undefined;
  if (value === undefined || value === '') throw new SignatureError(`missing ${name} header`);
  return value;
}
