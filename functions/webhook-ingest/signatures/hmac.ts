import { createHmac } from 'node:crypto';

/**
 * HMAC-SHA256 over the concatenation of `parts`. Parts are fed in one by one so the raw body is
 * hashed as the exact bytes received, never copied into a string and re-encoded.
 */
export function hmacSha256(key: string | Uint8Array, ...parts: (string | Uint8Array)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}
