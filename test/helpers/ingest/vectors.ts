// Published signature test vectors. The data (secrets, bodies, timestamps, expected signatures) are
// taken verbatim from the sources named on each vector; only the layout is ours.

import { lowerCaseHeaders } from '../../../functions/webhook-ingest/signatures/headers';
import type { SignedRequest } from '../../../functions/webhook-ingest/signatures/types';

/** One published example: what was signed, with which secret, and the headers that were sent. */
export interface SignatureVector {
  /** Where the data came from (repository and path, or documentation page). */
  origin: string;
  secret: string;
  body: string;
  /** The signed timestamp, for schemes that sign one. */
  timestamp?: number;
  headers: Record<string, string>;
}

/**
 * stripe/stripe-dotnet, src/StripeTests/Services/Events/EventUtilityTest.cs with its fixture
 * src/StripeTests/Resources/event_test_signature.json (the file's bytes, LF line endings, trailing
 * newline). stripe-node's test/Webhook.spec.ts only signs at run time with `whsec_test_secret`
 * and publishes no fixed signature, so the fixed vector comes from Stripe's .NET SDK. The `v0`
 * entry is part of the published header and must be ignored.
 */
export const stripeVector: SignatureVector = {
  origin: 'stripe/stripe-dotnet src/StripeTests/Services/Events/EventUtilityTest.cs',
  secret: 'webhook_secret',
  body: `{
  "id": "evt_123",
  "object": "event",
  "account": "acct_123",
  "api_version": "2017-05-25",
  "created": 1533204620,
  "data": {
    "object": {
      "id": "cus_123",
      "object": "customer",
      "created": 123456789,
      "email": "test@stripe.com",
      "livemode": false,
      "metadata": {}
    }
  },
  "livemode": false,
  "pending_webhooks": 1,
  "request": {
    "id": "req_123",
    "idempotency_key": "idempotency-key-123"
  },
  "type": "customer.created"
}
`,
  timestamp: 1533204620,
  headers: {
    'Stripe-Signature':
      't=1533204620,v1=2220f87ef101a04665f11cdf770523143f875572008577fa0f20882ddb9cc3c7,v0=63f3a72374a733066c4be69ed7f8e5ac85c22c9f0a6a612ab9a025a9e4ee7eef',
  },
};

/**
 * GitHub docs, "Validating webhook deliveries" > "Testing the webhook payload validation"
 * (github/docs content/webhooks/using-webhooks/validating-webhook-deliveries.md).
 */
export const githubVector: SignatureVector = {
  origin: 'github/docs content/webhooks/using-webhooks/validating-webhook-deliveries.md',
  secret: "It's a Secret to Everybody",
  body: 'Hello, World!',
  headers: {
    'X-Hub-Signature-256':
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
  },
};

/**
 * Slack's "Verifying requests from Slack" example, as pinned by slackapi/python-slack-sdk
 * tests/slack_sdk/signature/test_signature_verifier.py.
 */
export const slackVector: SignatureVector = {
  origin: 'slackapi/python-slack-sdk tests/slack_sdk/signature/test_signature_verifier.py',
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  timestamp: 1531420618,
  headers: {
    'X-Slack-Request-Timestamp': '1531420618',
    'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  },
};

/**
 * standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts, test "sign function
 * works". The spec's own example header (spec/standard-webhooks.md) publishes no secret, so it
 * cannot be verified and is not used.
 */
export const standardVector: SignatureVector = {
  origin: 'standard-webhooks/standard-webhooks libraries/javascript/src/webhook.test.ts',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  body: '{"test": 2432232314}',
  timestamp: 1614265330,
  headers: {
    'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'webhook-timestamp': '1614265330',
    'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
};

/**
 * Shopify publishes no fixed test vector (its docs and shopify-api-js tests sign at run time).
 * Its scheme is the same HMAC-SHA256 of the raw body as GitHub's, only base64-encoded, so this is
 * GitHub's published vector re-encoded: hex 757107ea...3e17 is base64 dXEH6g6y...nIsEPhc=.
 */
export const shopifyDerivedVector: SignatureVector = {
  origin: 'derived from githubVector (same HMAC, base64): no published Shopify vector found',
  secret: githubVector.secret,
  body: githubVector.body,
  headers: { 'X-Shopify-Hmac-Sha256': 'dXEH6g6yUJ/CESIczphLijdXC211hsIsRvQ3nIsEPhc=' },
};

/** Builds the request a verifier sees: body bytes exactly as given, header names lower-cased. */
export function signedRequest(
  body: string | Buffer,
  headers: Record<string, string | undefined>,
): SignedRequest {
  return {
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    headers: lowerCaseHeaders(headers),
  };
}

/** A vector as the request its sender made. */
export function vectorRequest(vector: SignatureVector): SignedRequest {
  return signedRequest(vector.body, vector.headers);
}
