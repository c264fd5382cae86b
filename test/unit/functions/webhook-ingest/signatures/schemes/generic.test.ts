import { verifyGenericSignature } from '../../../../../../functions/webhook-ingest/signatures/schemes/generic';
import type { VerifyOptions } from '../../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../../shared/errors';
import { sign } from '../../../../../../tools/send/signers';
import { githubVector, signedRequest } from '../../../../../helpers/ingest/vectors';

const SECRET = 'generic-secret';
const BODY = JSON.stringify({ kind: 'order.paid', order: 42 }, null, 2);
// GitHub's published HMAC of "Hello, World!" (see test/helpers/ingest/vectors.ts), usable here because the
// generic scheme is the same HMAC-SHA256 of the raw body.
const VECTOR_HEX = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { secrets: [SECRET], toleranceSeconds: 300, nowSeconds: 0, ...overrides };
}

function genericRequest(signature: string | undefined, body = BODY, header = 'x-signature') {
  return signedRequest(body, { [header]: signature });
}

function validSignature(encoding: 'hex' | 'base64' = 'hex', secret = SECRET, body = BODY): string {
  return sign('generic', { body, secret, encoding })['x-signature'] as string;
}

describe('generic signature', () => {
  it.each([
    ['bare hex', VECTOR_HEX],
    ['hex with a sha256= prefix', `sha256=${VECTOR_HEX}`],
  ])("accepts GitHub's published HMAC as %s in x-signature by default", (_label, signature) => {
    const request = genericRequest(signature, githubVector.body);

    expect(verifyGenericSignature(request, options({ secrets: [githubVector.secret] }))).toEqual({
      secretIndex: 0,
    });
  });

  it('accepts base64 in a configured header, whatever the case of its configured name', () => {
    const request = genericRequest(validSignature('base64'), BODY, 'X-Acme-Signature');

    const result = verifyGenericSignature(
      request,
      options({ header: 'X-Acme-Signature', encoding: 'base64' }),
    );

    expect(result.secretIndex).toBe(0);
  });

  it('accepts base64 with a sha256= prefix', () => {
    const request = genericRequest(`sha256=${validSignature('base64')}`);

    expect(verifyGenericSignature(request, options({ encoding: 'base64' })).secretIndex).toBe(0);
  });

  it('accepts a signature made with the previous secret during rotation, as secretIndex 1', () => {
    const request = genericRequest(validSignature('hex', 'previous'));

    expect(
      verifyGenericSignature(request, options({ secrets: [SECRET, 'previous'] })).secretIndex,
    ).toBe(1);
  });

  it('rejects a tampered body with SignatureError', () => {
    expect(() =>
      verifyGenericSignature(genericRequest(validSignature(), `${BODY} `), options()),
    ).toThrow(new SignatureError('no matching signature'));
  });

  it('rejects a pretty-printed body re-serialized as compact JSON with SignatureError', () => {
    const request = genericRequest(validSignature(), JSON.stringify(JSON.parse(BODY)));

    expect(() => verifyGenericSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a wrong secret with SignatureError', () => {
    const request = genericRequest(validSignature('hex', 'wrong'));

    expect(() => verifyGenericSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a missing header with SignatureError', () => {
    expect(() => verifyGenericSignature(genericRequest(undefined), options())).toThrow(
      new SignatureError('missing x-signature header'),
    );
  });

  it('rejects a signature in the default header when another header is configured', () => {
    expect(() =>
      verifyGenericSignature(
        genericRequest(validSignature()),
        options({ header: 'x-acme-signature' }),
      ),
    ).toThrow(new SignatureError('missing x-acme-signature header'));
  });

  it('rejects hex when base64 is configured, and base64 when hex is, with SignatureError', () => {
    expect(() =>
      verifyGenericSignature(
        genericRequest(validSignature('hex')),
        options({ encoding: 'base64' }),
      ),
    ).toThrow(SignatureError);
    expect(() =>
      verifyGenericSignature(
        genericRequest(validSignature('base64')),
        options({ encoding: 'hex' }),
      ),
    ).toThrow(SignatureError);
  });

  it.each([
    ['an empty value', ''],
    ['a bare prefix', 'sha256='],
    ['non-hex garbage', 'not-a-signature'],
    ['a truncated digest', VECTOR_HEX.slice(0, 40)],
    ['an odd-length digest', VECTOR_HEX.slice(1)],
    ['another algorithm prefix', `sha1=${VECTOR_HEX}`],
  ])('rejects a malformed signature (%s) with SignatureError', (_label, signature) => {
    const request = genericRequest(signature, githubVector.body);

    expect(() =>
      verifyGenericSignature(request, options({ secrets: [githubVector.secret] })),
    ).toThrow(SignatureError);
  });
});
