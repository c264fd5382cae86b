import {
  lowerCaseHeaders,
  requireHeader,
} from '../../../../../functions/webhook-ingest/signatures/headers';
import { verifyGithubSignature } from '../../../../../functions/webhook-ingest/signatures/schemes/github';
import { SignatureError } from '../../../../../shared/errors';
import { githubVector } from '../../../../helpers/ingest/vectors';

describe('lowerCaseHeaders', () => {
  it('lower-cases names and keeps values as received', () => {
    const headers = lowerCaseHeaders({
      'X-Hub-Signature-256': 'sha256=AbC',
      'Content-Type': 'a/b',
    });

    expect(headers).toEqual({ 'x-hub-signature-256': 'sha256=AbC', 'content-type': 'a/b' });
  });

  it('joins names that collide after lower-casing, as HTTP combines repeated fields', () => {
    expect(lowerCaseHeaders({ 'X-Tag': 'a', 'x-tag': 'b' })).toEqual({ 'x-tag': 'a, b' });
  });

  it('drops undefined values and accepts missing headers', () => {
    expect(lowerCaseHeaders({ 'X-Empty': undefined, Host: 'h' })).toEqual({ host: 'h' });
    expect(lowerCaseHeaders(undefined)).toEqual({});
    expect(lowerCaseHeaders(null)).toEqual({});
  });

  it('keeps a __proto__ header an ordinary key rather than a prototype', () => {
    const raw = JSON.parse('{"__proto__": "x", "A": "1"}') as Record<string, string>;

    const headers = lowerCaseHeaders(raw);

    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers)).toEqual(['__proto__', 'a']);
  });

  it('lets a verifier accept a header sent with upper-case name', () => {
    const headers = lowerCaseHeaders({
      'X-HUB-SIGNATURE-256': githubVector.headers['X-Hub-Signature-256'],
    });
    const request = { rawBody: Buffer.from(githubVector.body), headers };

    const result = verifyGithubSignature(request, {
      secrets: [githubVector.secret],
      toleranceSeconds: 300,
      nowSeconds: 0,
    });

    expect(result.secretIndex).toBe(0);
  });
});

describe('requireHeader', () => {
  it('returns the trimmed value', () => {
    expect(requireHeader({ 'x-a': '  v  ' }, 'x-a')).toBe('v');
  });

  it.each([
    ['absent', {}],
    ['undefined', { 'x-a': undefined }],
    ['blank', { 'x-a': '   ' }],
  ])('rejects a header that is %s with SignatureError', (_label, headers) => {
    expect(() => requireHeader(headers, 'x-a')).toThrow(new SignatureError('missing x-a header'));
  });

  it('does not read inherited properties as headers', () => {
    expect(() => requireHeader({}, 'constructor')).toThrow(SignatureError);
  });
});
