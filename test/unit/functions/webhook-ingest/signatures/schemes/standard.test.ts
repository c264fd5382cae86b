import {
  standardWebhooksKey,
  verifyStandardSignature,
} from '../../../../../../functions/webhook-ingest/signatures/schemes/standard';
import type { VerifyOptions } from '../../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../../shared/errors';
import { sign } from '../../../../../../tools/send/signers';
import {
  signedRequest,
  standardVector,
  vectorRequest,
} from '../../../../../helpers/ingest/vectors';

// Key material from the standard-webhooks library tests (a valid 24-byte base64 key).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const PREVIOUS = `whsec_${Buffer.from('previous-key-previous-key').toString('base64')}`;
const T = 1_700_000_000;
const ID = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
const BODY = JSON.stringify({ type: 'contact.created', data: { id: '1f81eb52' } }, null, 2);

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { secrets: [SECRET], toleranceSeconds: 300, nowSeconds: T, ...overrides };
}

function headers({ secret = SECRET, timestamp = T, body = BODY, id = ID } = {}) {
  return sign('standard', { body, secret, timestamp, id });
}

function standardRequest(overrides: Parameters<typeof headers>[0] = {}, body = BODY) {
  return signedRequest(body, headers({ body, ...overrides }));
}

describe('standard webhooks signature', () => {
  it("accepts the reference library's published signature", () => {
    const result = verifyStandardSignature(
      vectorRequest(standardVector),
      options({ secrets: [standardVector.secret], nowSeconds: 1614265330 }),
    );

    expect(result).toEqual({ timestamp: 1614265330, secretIndex: 0 });
  });

  it('accepts a secret configured without the whsec_ prefix', () => {
    const unprefixed = standardVector.secret.slice('whsec_'.length);

    const result = verifyStandardSignature(
      vectorRequest(standardVector),
      options({ secrets: [unprefixed], nowSeconds: 1614265330 }),
    );

    expect(result.secretIndex).toBe(0);
  });

  it('accepts a list where one v1 entry matches among others and other versions', () => {
    const valid = headers()['webhook-signature'];
    const list = `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc ${valid} v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==`;
    const request = signedRequest(BODY, { ...headers(), 'webhook-signature': list });

    expect(verifyStandardSignature(request, options()).secretIndex).toBe(0);
  });

  it('accepts a signature made with the previous secret during rotation, as secretIndex 1', () => {
    const result = verifyStandardSignature(
      standardRequest({ secret: PREVIOUS }),
      options({ secrets: [SECRET, PREVIOUS] }),
    );

    expect(result.secretIndex).toBe(1);
  });

  it('rejects a tampered body with SignatureError', () => {
    const request = signedRequest('{"test": 2432232315}', standardVector.headers);

    expect(() =>
      verifyStandardSignature(
        request,
        options({ secrets: [standardVector.secret], nowSeconds: 1614265330 }),
      ),
    ).toThrow(new SignatureError('no matching signature'));
  });

  it('rejects a pretty-printed body re-serialized as compact JSON with SignatureError', () => {
    const request = signedRequest(JSON.stringify(JSON.parse(BODY)), headers());

    expect(() => verifyStandardSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a signature replayed under another webhook-id with SignatureError', () => {
    const request = signedRequest(BODY, { ...headers(), 'webhook-id': 'msg_other' });

    expect(() => verifyStandardSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a wrong secret with SignatureError', () => {
    expect(() => verifyStandardSignature(standardRequest({ secret: PREVIOUS }), options())).toThrow(
      SignatureError,
    );
  });

  it('rejects a timestamp older than the tolerance with SignatureError', () => {
    expect(() =>
      verifyStandardSignature(standardRequest({ timestamp: T - 301 }), options()),
    ).toThrow(new SignatureError('signature timestamp is too old'));
  });

  it('rejects a timestamp further in the future than the tolerance with SignatureError', () => {
    expect(() =>
      verifyStandardSignature(standardRequest({ timestamp: T + 301 }), options()),
    ).toThrow(new SignatureError('signature timestamp is in the future'));
  });

  it.each(['webhook-id', 'webhook-timestamp', 'webhook-signature'])(
    'rejects a missing %s header with SignatureError',
    (name) => {
      const request = signedRequest(BODY, { ...headers(), [name]: undefined });

      expect(() => verifyStandardSignature(request, options())).toThrow(
        new SignatureError(`missing ${name} header`),
      );
    },
  );

  it.each([
    ['an invalid v1 value', 'v1,dawfeoifkpqwoekfpqoekf'],
    ['an empty v1 value', 'v1,'],
    ['a truncated entry', (headers()['webhook-signature'] ?? '').slice(0, 8)],
    ['only other versions', 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='],
    ['no version', 'Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc='],
    ['hex instead of base64', `v1,${'ab'.repeat(32)}`],
  ])('rejects a malformed webhook-signature (%s) with SignatureError', (_label, signature) => {
    const request = signedRequest(BODY, { ...headers(), 'webhook-signature': signature });

    expect(() => verifyStandardSignature(request, options())).toThrow(SignatureError);
  });

  it.each(['hello', '1.5', '-1'])(
    'rejects a malformed timestamp (%p) with SignatureError',
    (timestamp) => {
      const request = signedRequest(BODY, { ...headers(), 'webhook-timestamp': timestamp });

      expect(() => verifyStandardSignature(request, options())).toThrow(SignatureError);
    },
  );

  it.each(['', 'whsec_', 'whsec_not base64!'])(
    'rejects any signature when the only secret (%p) is unusable, with SignatureError',
    (secret) => {
      expect(standardWebhooksKey(secret)).toBeUndefined();
      expect(() =>
        verifyStandardSignature(standardRequest(), options({ secrets: [secret] })),
      ).toThrow(SignatureError);
    },
  );
});
