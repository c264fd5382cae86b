import {
  constantTimeEqual,
  matchSignature,
} from '../../../../../functions/webhook-ingest/signatures/compare';
import {
  decodeBase64,
  decodeHex,
} from '../../../../../functions/webhook-ingest/signatures/encoding';
import {
  assertWithinTolerance,
  parseTimestamp,
} from '../../../../../functions/webhook-ingest/signatures/timestamp';
import { SignatureError } from '../../../../../shared/errors';

describe('constant-time compare', () => {
  it('accepts equal bytes and rejects different bytes of the same length', () => {
    expect(constantTimeEqual(Buffer.from('abcd'), Buffer.from('abcd'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('abcd'), Buffer.from('abce'))).toBe(false);
  });

  it('returns false for different lengths instead of throwing a RangeError', () => {
    expect(constantTimeEqual(Buffer.from('abcd'), Buffer.from('abc'))).toBe(false);
    expect(constantTimeEqual(Buffer.alloc(0), Buffer.alloc(32))).toBe(false);
  });
});

describe('matchSignature', () => {
  const mac = (secret: string) => Buffer.from(`mac:${secret}`);

  it('reports the index of the first secret whose MAC was presented', () => {
    expect(matchSignature(['new', 'old'], [Buffer.from('x'), mac('old')], mac)).toBe(1);
    expect(matchSignature(['new', 'old'], [mac('new'), mac('old')], mac)).toBe(0);
  });

  it('skips a secret that cannot be used as a key', () => {
    const macOrNone = (secret: string) => (secret === 'broken' ? undefined : mac(secret));

    expect(matchSignature(['broken', 'old'], [mac('old')], macOrNone)).toBe(1);
  });

  it('rejects when nothing matches, nothing was presented or no secret is set, with SignatureError', () => {
    expect(() => matchSignature(['new'], [mac('old')], mac)).toThrow(
      new SignatureError('no matching signature'),
    );
    expect(() => matchSignature(['new'], [], mac)).toThrow(
      new SignatureError('malformed signature'),
    );
    expect(() => matchSignature([], [mac('new')], mac)).toThrow(SignatureError);
  });
});

describe('strict decoding', () => {
  it.each(['', 'abc', 'zz', 'ab cd', '0x00'])('refuses %p as hex', (text) => {
    expect(decodeHex(text)).toBeUndefined();
  });

  it('decodes hex of either case', () => {
    expect(decodeHex('aBcD')).toEqual(Buffer.from([0xab, 0xcd]));
  });

  it.each(['', 'abc', 'ab=c', 'a-_b', 'YWJj ZA==', 'YQ'])('refuses %p as base64', (text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });

  it('decodes padded standard base64', () => {
    expect(decodeBase64('YWJjZA==')).toEqual(Buffer.from('abcd'));
    expect(decodeBase64('YWJj')).toEqual(Buffer.from('abc'));
  });
});

describe('signed timestamps', () => {
  it.each([undefined, '', ' 1', '1.0', '-1', '1e3', '0x10', '1234567890123'])(
    'rejects %p as malformed with SignatureError',
    (text) => {
      expect(() => parseTimestamp(text)).toThrow(
        new SignatureError('malformed signature timestamp'),
      );
    },
  );

  it('parses whole seconds', () => {
    expect(parseTimestamp('1531420618')).toBe(1531420618);
  });

  it('accepts the whole window and rejects one second beyond either edge', () => {
    const window = { nowSeconds: 1000, toleranceSeconds: 60 };

    expect(() => assertWithinTolerance(940, window)).not.toThrow();
    expect(() => assertWithinTolerance(1060, window)).not.toThrow();
    expect(() => assertWithinTolerance(939, window)).toThrow(
      new SignatureError('signature timestamp is too old'),
    );
    expect(() => assertWithinTolerance(1061, window)).toThrow(
      new SignatureError('signature timestamp is in the future'),
    );
  });
});
