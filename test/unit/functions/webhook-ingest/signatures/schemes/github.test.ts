import { verifyGithubSignature } from '../../../../../../functions/webhook-ingest/signatures/schemes/github';
import type { VerifyOptions } from '../../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../../shared/errors';
import { sign } from '../../../../../../tools/send/signers';
import { githubVector, signedRequest, vectorRequest } from '../../../../../helpers/ingest/vectors';

const SECRET = 'github-secret';
const BODY = JSON.stringify({ action: 'opened', number: 1 }, null, 2);

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  // GitHub signs no timestamp: the clock must not matter, so it is set far from any signing time.
  return { secrets: [SECRET], toleranceSeconds: 300, nowSeconds: 0, ...overrides };
}

function githubRequest(signature: string | undefined, body = BODY) {
  return signedRequest(body, { 'x-hub-signature-256': signature });
}

function validSignature(secret = SECRET, body = BODY): string {
  return sign('github', { body, secret })['X-Hub-Signature-256'] as string;
}

describe('github signature', () => {
  it("accepts GitHub's published example with the header name as GitHub sends it", () => {
    const result = verifyGithubSignature(
      vectorRequest(githubVector),
      options({ secrets: [githubVector.secret] }),
    );

    expect(result).toEqual({ secretIndex: 0 });
  });

  it('accepts upper-case hex', () => {
    const signature = `sha256=${validSignature().slice('sha256='.length).toUpperCase()}`;

    expect(verifyGithubSignature(githubRequest(signature), options()).secretIndex).toBe(0);
  });

  it('accepts a signature made with the previous secret during rotation, as secretIndex 1', () => {
    const request = githubRequest(validSignature('previous-secret'));

    const result = verifyGithubSignature(
      request,
      options({ secrets: [SECRET, 'previous-secret'] }),
    );

    expect(result.secretIndex).toBe(1);
  });

  it('rejects a tampered body with SignatureError', () => {
    const request = signedRequest('Hello, World?', githubVector.headers);

    expect(() =>
      verifyGithubSignature(request, options({ secrets: [githubVector.secret] })),
    ).toThrow(new SignatureError('no matching signature'));
  });

  it('rejects a pretty-printed body re-serialized as compact JSON with SignatureError', () => {
    const request = githubRequest(validSignature(), JSON.stringify(JSON.parse(BODY)));

    expect(() => verifyGithubSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a wrong secret with SignatureError', () => {
    expect(() => verifyGithubSignature(githubRequest(validSignature('wrong')), options())).toThrow(
      SignatureError,
    );
  });

  it('rejects a missing x-hub-signature-256 header with SignatureError', () => {
    expect(() => verifyGithubSignature(githubRequest(undefined), options())).toThrow(
      new SignatureError('missing x-hub-signature-256 header'),
    );
  });

  it('rejects the legacy SHA-1 header alone with SignatureError', () => {
    const request = signedRequest(BODY, { 'X-Hub-Signature': `sha1=${'ab'.repeat(20)}` });

    expect(() => verifyGithubSignature(request, options())).toThrow(SignatureError);
  });

  it.each([
    ['an empty value', ''],
    ['no sha256= prefix', validSignature().slice('sha256='.length)],
    ['a sha1= prefix', `sha1=${'ab'.repeat(20)}`],
    ['an empty digest', 'sha256='],
    ['non-hex garbage', `sha256=${'xy'.repeat(32)}`],
    ['a truncated digest', validSignature().slice(0, 20)],
    ['an over-long digest', `${validSignature()}00`],
  ])('rejects a malformed signature (%s) with SignatureError', (_label, signature) => {
    expect(() => verifyGithubSignature(githubRequest(signature), options())).toThrow(
      SignatureError,
    );
  });
});
