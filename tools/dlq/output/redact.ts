/**
 * What looks like a credential in free text: an Authorization value, a Standard Webhooks secret, a
 * `token=`/`secret:`/`password`/`api key` pair, or a long opaque token.
 */
const PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]'],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, 'whsec_[redacted]'],
  [
    /\b(token|secret|password|passwd|api[-_ ]?key|authorization|signature)(["']?\s*[:=]\s*["']?)[^\s"',;}]+/gi,
    '$1$2[redacted]',
  ],
  [/\b[A-Za-z0-9+/_-]{40,}={0,2}/g, '[redacted]'],
];

/**
 * Redacts anything that looks like a secret from a reason or a ledger note before it is printed.
 * Reasons are written never to hold one; this is the second line, for text that came from a provider.
 */
export function redact(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}
