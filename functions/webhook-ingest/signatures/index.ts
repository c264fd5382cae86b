import { verifyGenericSignature } from './generic';
import { verifyGithubSignature } from './github';
import { verifyShopifySignature } from './shopify';
import { verifySlackSignature } from './slack';
import { verifyStandardSignature } from './standard';
import { verifyStripeSignature } from './stripe';
import type { Verifier } from './types';

export { lowerCaseHeaders } from './headers';
export type { SignedRequest, Verification, Verifier, VerifyOptions } from './types';

/** A signature scheme a source can declare. */
export type Scheme = 'stripe' | 'github' | 'slack' | 'shopify' | 'standard' | 'generic';

/** The verifier for each scheme; ingest picks one by the source's declared scheme. */
export const verifiers: Readonly<Record<Scheme, Verifier>> = Object.freeze({
  stripe: verifyStripeSignature,
  github: verifyGithubSignature,
  slack: verifySlackSignature,
  shopify: verifyShopifySignature,
  standard: verifyStandardSignature,
  generic: verifyGenericSignature,
});

/** Every supported scheme, for validating source config. */
export const schemes: readonly Scheme[] = Object.freeze(Object.keys(verifiers) as Scheme[]);

/** True when `value` names a supported scheme. */
export function isScheme(value: string): value is Scheme {
  return Object.hasOwn(verifiers, value);
}
