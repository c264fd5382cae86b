import { type Scheme, verifiers } from '../../../../../functions/webhook-ingest/signatures';
import type { VerifyOptions } from '../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../shared/errors';
import { sign } from '../../../../../tools/send/signers';
import { signedRequest } from '../../../../helpers/ingest/vectors';

const T = 1_700_000_000;
// Multi-byte UTF-8 and a trailing newline make sure both sides sign bytes, not re-encoded text.
const BODY = Buffer.from('{\n  "note": "crème brûlée ☕",\n  "n": 1\n}\n', 'utf8');
const SECRETS: Record<Scheme, string> = {
  stripe: 'whsec_round_trip',
  github: 'github round trip',
  slack: 'slack-round-trip',
  shopify: 'shopify-round-trip',
  standard: `whsec_${Buffer.from('a standard webhooks key, 32 bytes').toString('base64')}`,
  generic: 'generic-round-trip',
};
const SCHEMES = Object.keys(SECRETS) as Scheme[];

function options(scheme: Scheme, overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { secrets: [SECRETS[scheme]], toleranceSeconds: 300, nowSeconds: T, ...overrides };
}

describe('local signers', () => {
  it.each(SCHEMES)('signs %s so that its verifier accepts the request', (scheme) => {
    const headers = sign(scheme, {
      body: BODY,
      secret: SECRETS[scheme],
      timestamp: T,
      id: 'delivery-1',
    });

    const result = verifiers[scheme](signedRequest(BODY, headers), options(scheme));

    expect(result.secretIndex).toBe(0);
  });

  it.each(SCHEMES)('signs %s from a string body as its UTF-8 bytes', (scheme) => {
    const headers = sign(scheme, {
      body: BODY.toString('utf8'),
      secret: SECRETS[scheme],
      timestamp: T,
    });

    expect(() => verifiers[scheme](signedRequest(BODY, headers), options(scheme))).not.toThrow();
  });

  it.each(SCHEMES)('produces %s headers that fail verification with another secret', (scheme) => {
    const headers = sign(scheme, { body: BODY, secret: SECRETS[scheme], timestamp: T });
    const other =
      scheme === 'standard' ? `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}` : 'x';

    expect(() =>
      verifiers[scheme](signedRequest(BODY, headers), options(scheme, { secrets: [other] })),
    ).toThrow(SignatureError);
  });

  it.each(['stripe', 'slack', 'standard'] as const)(
    'stamps %s with the timestamp it was given',
    (scheme) => {
      const headers = sign(scheme, { body: BODY, secret: SECRETS[scheme], timestamp: T - 30 });

      expect(verifiers[scheme](signedRequest(BODY, headers), options(scheme)).timestamp).toBe(
        T - 30,
      );
    },
  );

  it('signs generic in a configured header and encoding', () => {
    const headers = sign('generic', {
      body: BODY,
      secret: SECRETS.generic,
      header: 'X-Acme-Signature',
      encoding: 'base64',
    });

    const result = verifiers.generic(
      signedRequest(BODY, headers),
      options('generic', { header: 'x-acme-signature', encoding: 'base64' }),
    );

    expect(result.secretIndex).toBe(0);
  });

  it('sends the delivery id headers the providers send', () => {
    expect(sign('github', { body: BODY, secret: 's', id: 'g-1' })['X-GitHub-Delivery']).toBe('g-1');
    expect(sign('shopify', { body: BODY, secret: 's', id: 's-1' })['X-Shopify-Webhook-Id']).toBe(
      's-1',
    );
    expect(
      sign('standard', { body: BODY, secret: SECRETS.standard, id: 'msg_1' })['webhook-id'],
    ).toBe('msg_1');
  });

  it('refuses an unknown scheme', () => {
    expect(() => sign('svix' as Scheme, { body: BODY, secret: 's' })).toThrow(TypeError);
  });
});
