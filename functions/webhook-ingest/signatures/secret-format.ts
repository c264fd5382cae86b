import type { Scheme } from './index';
import { standardWebhooksKey } from './schemes/standard';

/**
 * What each scheme needs of a signing secret for its verifier to be able to use it. Stripe, GitHub,
 * Slack, Shopify and generic key the HMAC with the secret string as is, so any non-empty string
 * works; Standard Webhooks decodes the base64 after `whsec_`, so a secret that does not decode can
 * never match anything.
 */
const formats: Readonly<
  Record<Scheme, { accepts: (secret: string) => boolean; expected: string }>
> = Object.freeze({
  stripe: { accepts: (secret) => secret !== '', expected: 'a non-empty string' },
  github: { accepts: (secret) => secret !== '', expected: 'a non-empty string' },
  slack: { accepts: (secret) => secret !== '', expected: 'a non-empty string' },
  shopify: { accepts: (secret) => secret !== '', expected: 'a non-empty string' },
  generic: { accepts: (secret) => secret !== '', expected: 'a non-empty string' },
  standard: {
    accepts: (secret) => standardWebhooksKey(secret) !== undefined,
    expected: '"whsec_" followed by non-empty base64',
  },
});

/**
 * Checks one stored signing secret value, `{"current": "...", "previous"?: "..."}`, against the
 * scheme's format. Returns the problems found (empty when it is usable), each naming the field and
 * never quoting the secret.
 */
export function signingSecretProblems(scheme: Scheme, value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ['must be a JSON object {"current": "...", "previous"?: "..."}'];
  }
  const { current, previous } = value as { current?: unknown; previous?: unknown };
  const format = formats[scheme];
  const problems: string[] = [];
  if (typeof current !== 'string' || current === '') {
    problems.push('"current" must be a non-empty string');
  } else if (!format.accepts(current)) {
    problems.push(`"current" must be ${format.expected} for the ${scheme} scheme`);
  }
  // An empty "previous" is what a finished rotation may leave behind; verification skips it.
  const hasPrevious = previous !== undefined && previous !== '';
  if (hasPrevious && (typeof previous !== 'string' || !format.accepts(previous))) {
    problems.push(`"previous" must be ${format.expected} for the ${scheme} scheme`);
  }
  return problems;
}
