import { signingSecretProblems } from '../../../../../functions/webhook-ingest/signatures/secret-format';

describe('signing secret format', () => {
  it.each([
    ['stripe', 'whsec_anything'],
    ['github', 'any text'],
    ['slack', 'x'],
    ['shopify', 'shpss_123'],
    ['generic', 'local-generic'],
    ['standard', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  ] as const)('accepts a %s secret its verifier can use', (scheme, current) => {
    expect(signingSecretProblems(scheme, { current })).toEqual([]);
  });

  it('refuses a standard secret whose key is not base64, naming the expected format', () => {
    const problems = signingSecretProblems('standard', { current: 'whsec_not base64!' });

    expect(problems).toEqual([
      '"current" must be "whsec_" followed by non-empty base64 for the standard scheme',
    ]);
  });

  it('refuses a missing or empty "current", whatever the scheme', () => {
    expect(signingSecretProblems('github', {})).toEqual(['"current" must be a non-empty string']);
    expect(signingSecretProblems('stripe', { current: '' })).toEqual([
      '"current" must be a non-empty string',
    ]);
  });

  it('checks "previous" too, but lets an empty one pass as verification skips it', () => {
    expect(
      signingSecretProblems('standard', { current: 'whsec_YWJjZA==', previous: 'nope!' }),
    ).toEqual(['"previous" must be "whsec_" followed by non-empty base64 for the standard scheme']);
    expect(signingSecretProblems('github', { current: 'a', previous: '' })).toEqual([]);
  });

  it('refuses a value that is not an object, without quoting it', () => {
    const problems = signingSecretProblems('github', 'the-secret-itself');

    expect(problems).toEqual(['must be a JSON object {"current": "...", "previous"?: "..."}']);
    expect(problems.join()).not.toContain('the-secret-itself');
  });
});
