import { isScheme, schemes, verifiers } from '../../../../../functions/webhook-ingest/signatures';
import { schemes as signerSchemes } from '../../../../../tools/send/signers';

describe('signature verifiers', () => {
  it('has one verifier for each of the six schemes', () => {
    expect(Object.keys(verifiers).sort()).toEqual([
      'generic',
      'github',
      'shopify',
      'slack',
      'standard',
      'stripe',
    ]);
    expect([...schemes].sort()).toEqual(Object.keys(verifiers).sort());
  });

  it('has a local signer for every scheme it verifies', () => {
    expect([...signerSchemes].sort()).toEqual([...schemes].sort());
  });

  it('recognises scheme names and nothing inherited', () => {
    expect(isScheme('standard')).toBe(true);
    expect(isScheme('svix')).toBe(false);
    expect(isScheme('toString')).toBe(false);
  });
});
