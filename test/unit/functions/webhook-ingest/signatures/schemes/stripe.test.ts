import { verifyStripeSignature } from '../../../../../../functions/webhook-ingest/signatures/schemes/stripe';
import type { VerifyOptions } from '../../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../../shared/errors';
import { sign } from '../../../../../../tools/send/signers';
import { signedRequest, stripeVector, vectorRequest } from '../../../../../helpers/ingest/vectors';

const SECRET = 'whsec_test_secret';
const T = 1_700_000_000;
const BODY = JSON.stringify({ id: 'evt_test_webhook', object: 'event' }, null, 2);

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { secrets: [SECRET], toleranceSeconds: 300, nowSeconds: T, ...overrides };
}

function stripeRequest(header: string, body = BODY) {
  return signedRequest(body, { 'stripe-signature': header });
}

function validHeader(secret = SECRET, timestamp = T, body = BODY): string {
  return sign('stripe', { body, secret, timestamp })['Stripe-Signature'] as string;
}

describe('stripe signature', () => {
  it("accepts Stripe's published vector and ignores its v0 entry", () => {
    const vector = stripeVector;

    const result = verifyStripeSignature(
      vectorRequest(vector),
      options({ secrets: [vector.secret], nowSeconds: 1533204620 + 100 }),
    );

    expect(result).toEqual({ timestamp: 1533204620, secretIndex: 0 });
  });

  it('accepts a header where any one of several v1 signatures matches', () => {
    const header = `${validHeader()},v1=${'ab'.repeat(32)},v1=potato`;

    const result = verifyStripeSignature(stripeRequest(header), options());

    expect(result.secretIndex).toBe(0);
  });

  it('accepts a signature made with the previous secret during rotation, as secretIndex 1', () => {
    const header = validHeader('whsec_old');

    const result = verifyStripeSignature(
      stripeRequest(header),
      options({ secrets: [SECRET, 'whsec_old'] }),
    );

    expect(result.secretIndex).toBe(1);
  });

  it('accepts timestamps exactly at the edges of the tolerance', () => {
    expect(() =>
      verifyStripeSignature(stripeRequest(validHeader(SECRET, T - 300)), options()),
    ).not.toThrow();
    expect(() =>
      verifyStripeSignature(stripeRequest(validHeader(SECRET, T + 300)), options()),
    ).not.toThrow();
  });

  it('rejects a tampered body with SignatureError', () => {
    const request = stripeRequest(validHeader(), `${BODY} `);

    expect(() => verifyStripeSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects the published vector re-serialized as compact JSON with SignatureError', () => {
    const compact = JSON.stringify(JSON.parse(stripeVector.body));
    const request = signedRequest(compact, stripeVector.headers);

    expect(() =>
      verifyStripeSignature(
        request,
        options({ secrets: [stripeVector.secret], nowSeconds: 1533204620 }),
      ),
    ).toThrow(new SignatureError('no matching signature'));
  });

  it('rejects a wrong secret with SignatureError', () => {
    expect(() =>
      verifyStripeSignature(stripeRequest(validHeader('whsec_other')), options()),
    ).toThrow(SignatureError);
  });

  it('rejects a timestamp older than the tolerance with SignatureError', () => {
    const request = stripeRequest(validHeader(SECRET, T - 301));

    expect(() => verifyStripeSignature(request, options())).toThrow(
      new SignatureError('signature timestamp is too old'),
    );
  });

  it('rejects a timestamp further in the future than the tolerance with SignatureError', () => {
    const request = stripeRequest(validHeader(SECRET, T + 301));

    expect(() => verifyStripeSignature(request, options())).toThrow(
      new SignatureError('signature timestamp is in the future'),
    );
  });

  it('rejects a missing stripe-signature header with SignatureError', () => {
    expect(() => verifyStripeSignature(signedRequest(BODY, {}), options())).toThrow(
      new SignatureError('missing stripe-signature header'),
    );
  });

  it.each([
    ['an empty header', ''],
    ['no t', `v1=${'ab'.repeat(32)}`],
    ['a non-numeric t', `t=soon,v1=${'ab'.repeat(32)}`],
    ['a negative t', `t=-5,v1=${'ab'.repeat(32)}`],
    ['two t values', `t=${T},t=${T},v1=${'ab'.repeat(32)}`],
    ['no v1', `t=${T},v0=${'ab'.repeat(32)}`],
    ['an empty v1', `t=${T},v1=`],
    ['a non-hex v1', `t=${T},v1=${'zz'.repeat(32)}`],
    ['a short v1', `t=${T},v1=abcd`],
    ['an odd-length v1', `t=${T},v1=abc`],
    ['garbage', "I'm not even a real signature header"],
  ])('rejects a malformed header (%s) with SignatureError', (_label, header) => {
    expect(() => verifyStripeSignature(stripeRequest(header), options())).toThrow(SignatureError);
  });

  it('rejects when no secret is configured with SignatureError', () => {
    expect(() =>
      verifyStripeSignature(stripeRequest(validHeader()), options({ secrets: [] })),
    ).toThrow(SignatureError);
  });
});
