import { verifyShopifySignature } from '../../../../../../functions/webhook-ingest/signatures/schemes/shopify';
import type { VerifyOptions } from '../../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../../shared/errors';
import { sign } from '../../../../../../tools/send/signers';
import {
  shopifyDerivedVector,
  signedRequest,
  vectorRequest,
} from '../../../../../helpers/ingest/vectors';

const SECRET = 'shopify-client-secret';
const BODY = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com' }, null, 2);

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { secrets: [SECRET], toleranceSeconds: 300, nowSeconds: 0, ...overrides };
}

function shopifyRequest(hmac: string | undefined, body = BODY) {
  return signedRequest(body, { 'x-shopify-hmac-sha256': hmac });
}

function validHmac(secret = SECRET, body = BODY): string {
  return sign('shopify', { body, secret })['X-Shopify-Hmac-Sha256'] as string;
}

describe('shopify signature', () => {
  // Shopify publishes no fixed vector: this is GitHub's published HMAC, base64-encoded.
  it("accepts GitHub's published HMAC written in base64, as Shopify writes it", () => {
    const result = verifyShopifySignature(
      vectorRequest(shopifyDerivedVector),
      options({ secrets: [shopifyDerivedVector.secret] }),
    );

    expect(result).toEqual({ secretIndex: 0 });
  });

  it('accepts a signature made with the previous secret during rotation, as secretIndex 1', () => {
    const result = verifyShopifySignature(
      shopifyRequest(validHmac('previous')),
      options({ secrets: [SECRET, 'previous'] }),
    );

    expect(result.secretIndex).toBe(1);
  });

  it('rejects a tampered body with SignatureError', () => {
    expect(() =>
      verifyShopifySignature(shopifyRequest(validHmac(), `${BODY}\n`), options()),
    ).toThrow(new SignatureError('no matching signature'));
  });

  it('rejects a pretty-printed body re-serialized as compact JSON with SignatureError', () => {
    const request = shopifyRequest(validHmac(), JSON.stringify(JSON.parse(BODY)));

    expect(() => verifyShopifySignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a wrong secret with SignatureError', () => {
    expect(() => verifyShopifySignature(shopifyRequest(validHmac('wrong')), options())).toThrow(
      SignatureError,
    );
  });

  it('rejects a missing x-shopify-hmac-sha256 header with SignatureError', () => {
    expect(() => verifyShopifySignature(shopifyRequest(undefined), options())).toThrow(
      new SignatureError('missing x-shopify-hmac-sha256 header'),
    );
  });

  it.each([
    ['an empty value', ''],
    ['hex instead of base64', Buffer.from(validHmac(), 'base64').toString('hex')],
    ['missing padding', validHmac().replace(/=+$/, '')],
    ['characters outside base64', `${validHmac().slice(0, -2)}!=`],
    ['a truncated value', validHmac().slice(0, 12)],
    ['a longer value', `${validHmac().replace(/=+$/, '')}AAAA`],
  ])('rejects a malformed signature (%s) with SignatureError', (_label, hmac) => {
    expect(() => verifyShopifySignature(shopifyRequest(hmac), options())).toThrow(SignatureError);
  });
});
