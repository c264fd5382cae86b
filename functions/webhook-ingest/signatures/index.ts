import type { Scheme } from '../../../shared/sources/schemes';
import { verifyGenericSignature } from './schemes/generic';
import { verifyGithubSignature } from './schemes/github';
import { verifyShopifySignature } from './schemes/shopify';
import { verifySlackSignature } from './schemes/slack';
import { verifyStandardSignature } from './schemes/standard';
import { verifyStripeSignature } from './schemes/stripe';
import type { Verifier } from './types';

export { isScheme, type Scheme, schemes } from '../../../shared/sources/schemes';
export { lowerCaseHeaders } from './headers';
export type { SignedRequest, Verification, Verifier, VerifyOptions } from './types';

/** The verifier for each scheme; ingest picks one by the source's declared scheme. */
export const verifiers: Readonly<Record<Scheme, Verifier>> = Object.freeze({
  stripe: verifyStripeSignature,
  github: verifyGithubSignature,
  slack: verifySlackSignature,
  shopify: verifyShopifySignature,
  standard: verifyStandardSignature,
  generic: verifyGenericSignature,
});
