/**
 * The signature schemes a source can declare. The names live here, apart from the verifiers
 * (functions/webhook-ingest/signatures), so the health probe and the workflow trigger can read the
 * source catalog without importing the ingest function.
 */
export const schemes = Object.freeze([
  'stripe',
  'github',
  'slack',
  'shopify',
  'standard',
  'generic',
] as const);

/** A signature scheme a source can declare. */
export type Scheme = (typeof schemes)[number];

/** True when `value` names a supported scheme. */
export function isScheme(value: string): value is Scheme {
  return (schemes as readonly string[]).includes(value);
}

/** The header a `generic` source reads when its config names none. */
export const DEFAULT_GENERIC_HEADER = 'x-signature';
