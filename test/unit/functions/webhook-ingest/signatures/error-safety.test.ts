import { type Scheme, verifiers } from '../../../../../functions/webhook-ingest/signatures';
import type { VerifyOptions } from '../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../shared/errors';
import { sign } from '../../../../../tools/send/signers';
import { signedRequest } from '../../../../helpers/ingest/vectors';

const T = 1_700_000_000;
const BODY = '{"id":"evt_1"}';
const CONFIGURED = `whsec_${Buffer.from('the configured secret, never shown').toString('base64')}`;
const SCHEMES: Scheme[] = ['stripe', 'github', 'slack', 'shopify', 'standard', 'generic'];

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the verifier to throw');
}

describe('signature errors', () => {
  it.each(SCHEMES)(
    'reject a %s mismatch with a SignatureError that shows neither secret nor expected signature',
    (scheme) => {
      const expected = sign(scheme, { body: BODY, secret: CONFIGURED, timestamp: T, id: 'msg_1' });
      const forged = sign(scheme, { body: BODY, secret: 'whsec_AAAA', timestamp: T, id: 'msg_1' });
      const options: VerifyOptions = {
        secrets: [CONFIGURED],
        toleranceSeconds: 300,
        nowSeconds: T,
      };

      const error = thrownBy(() => verifiers[scheme](signedRequest(BODY, forged), options));

      expect(error).toBeInstanceOf(SignatureError);
      const shown = `${(error as SignatureError).message} ${JSON.stringify(error)}`;
      expect(shown).not.toContain(CONFIGURED);
      expect(shown).not.toContain(CONFIGURED.slice('whsec_'.length));
      for (const value of Object.values(expected)) {
        if (value.length >= 16)
          expect(shown).not.toContain(value.replace(/^(v0=|v1,|sha256=|t=\d+,v1=)/, ''));
      }
      expect((error as SignatureError).status).toBe(401);
    },
  );

  it.each(SCHEMES)(
    'reject a %s request with no headers with SignatureError, never a TypeError',
    (scheme) => {
      const options: VerifyOptions = {
        secrets: [CONFIGURED],
        toleranceSeconds: 300,
        nowSeconds: T,
      };

      expect(thrownBy(() => verifiers[scheme](signedRequest(BODY, {}), options))).toBeInstanceOf(
        SignatureError,
      );
    },
  );
});
