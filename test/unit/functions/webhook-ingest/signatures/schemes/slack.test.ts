import { verifySlackSignature } from '../../../../../../functions/webhook-ingest/signatures/schemes/slack';
import type { VerifyOptions } from '../../../../../../functions/webhook-ingest/signatures/types';
import { SignatureError } from '../../../../../../shared/errors';
import { sign } from '../../../../../../tools/send/signers';
import { signedRequest, slackVector, vectorRequest } from '../../../../../helpers/ingest/vectors';

const SECRET = 'slack-signing-secret';
const T = 1_700_000_000;
const BODY = JSON.stringify(
  { type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } },
  null,
  2,
);

function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { secrets: [SECRET], toleranceSeconds: 300, nowSeconds: T, ...overrides };
}

function slackRequest({ secret = SECRET, timestamp = T, body = BODY } = {}) {
  return signedRequest(body, sign('slack', { body, secret, timestamp }));
}

describe('slack signature', () => {
  it("accepts Slack's documented example", () => {
    const result = verifySlackSignature(
      vectorRequest(slackVector),
      options({ secrets: [slackVector.secret], nowSeconds: 1531420618 }),
    );

    expect(result).toEqual({ timestamp: 1531420618, secretIndex: 0 });
  });

  it('accepts a signature made with the previous secret during rotation, as secretIndex 1', () => {
    const result = verifySlackSignature(
      slackRequest({ secret: 'previous' }),
      options({ secrets: [SECRET, 'previous'] }),
    );

    expect(result.secretIndex).toBe(1);
  });

  it('rejects a tampered body with SignatureError', () => {
    const request = signedRequest(`${slackVector.body}------`, slackVector.headers);

    expect(() =>
      verifySlackSignature(
        request,
        options({ secrets: [slackVector.secret], nowSeconds: 1531420618 }),
      ),
    ).toThrow(new SignatureError('no matching signature'));
  });

  it('rejects a pretty-printed body re-serialized as compact JSON with SignatureError', () => {
    const signed = slackRequest();
    const request = { ...signed, rawBody: Buffer.from(JSON.stringify(JSON.parse(BODY))) };

    expect(() => verifySlackSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a signature replayed under a different timestamp with SignatureError', () => {
    const signed = slackRequest({ timestamp: T - 1000 });
    const request = {
      ...signed,
      headers: { ...signed.headers, 'x-slack-request-timestamp': String(T) },
    };

    expect(() => verifySlackSignature(request, options())).toThrow(SignatureError);
  });

  it('rejects a wrong secret with SignatureError', () => {
    expect(() => verifySlackSignature(slackRequest({ secret: 'wrong' }), options())).toThrow(
      SignatureError,
    );
  });

  it('rejects a timestamp older than the tolerance with SignatureError', () => {
    expect(() => verifySlackSignature(slackRequest({ timestamp: T - 301 }), options())).toThrow(
      new SignatureError('signature timestamp is too old'),
    );
  });

  it('rejects a timestamp further in the future than the tolerance with SignatureError', () => {
    expect(() => verifySlackSignature(slackRequest({ timestamp: T + 301 }), options())).toThrow(
      new SignatureError('signature timestamp is in the future'),
    );
  });

  it.each(['x-slack-signature', 'x-slack-request-timestamp'])(
    'rejects a missing %s header with SignatureError',
    (name) => {
      const signed = slackRequest();
      const request = { ...signed, headers: { ...signed.headers, [name]: undefined } };

      expect(() => verifySlackSignature(request, options())).toThrow(
        new SignatureError(`missing ${name} header`),
      );
    },
  );

  it.each([
    ['no v0= prefix', 'a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503'],
    ['another version', `v1=${'ab'.repeat(32)}`],
    ['an empty digest', 'v0='],
    ['non-hex garbage', `v0=${'zz'.repeat(32)}`],
    ['a truncated digest', 'v0=a2114d57'],
  ])('rejects a malformed signature (%s) with SignatureError', (_label, signature) => {
    const request = signedRequest(BODY, {
      'x-slack-signature': signature,
      'x-slack-request-timestamp': String(T),
    });

    expect(() => verifySlackSignature(request, options())).toThrow(SignatureError);
  });

  it.each(['soon', '1.5', '-1', '1e9', ''])(
    'rejects a malformed timestamp (%p) with SignatureError',
    (timestamp) => {
      const signed = slackRequest();
      const request = {
        ...signed,
        headers: { ...signed.headers, 'x-slack-request-timestamp': timestamp },
      };

      expect(() => verifySlackSignature(request, options())).toThrow(SignatureError);
    },
  );
});
