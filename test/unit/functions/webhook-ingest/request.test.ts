import { bodyFormatOf, parseBody, rawBodyOf } from '../../../../functions/webhook-ingest/request';
import {
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../../../shared/errors';

describe('request body', () => {
  it('decodes a base64 body to the exact bytes that were signed', () => {
    const bytes = Buffer.from([0x7b, 0x22, 0xc3, 0xa9, 0x22, 0x3a, 0x31, 0x7d]);
    const raw = rawBodyOf({ body: bytes.toString('base64'), isBase64Encoded: true }, 100);
    expect(raw.equals(bytes)).toBe(true);
  });

  it('refuses a body over the limit, counting bytes not characters', () => {
    expect(() => rawBodyOf({ body: 'é'.repeat(6) }, 11)).toThrow(PayloadTooLargeError);
    expect(rawBodyOf({ body: 'é'.repeat(6) }, 12)).toHaveLength(12);
    const encoded = Buffer.alloc(13).toString('base64');
    expect(() => rawBodyOf({ body: encoded, isBase64Encoded: true }, 12)).toThrow(
      PayloadTooLargeError,
    );
  });

  it.each([
    ['application/json', 'json'],
    ['Application/JSON; charset=utf-8', 'json'],
    ['application/vnd.shop+json', 'json'],
    ['application/x-www-form-urlencoded', 'form'],
  ])('reads %s as %s', (contentType, format) => {
    expect(bodyFormatOf(contentType)).toBe(format);
  });

  it.each([['text/plain'], ['multipart/form-data; boundary=x'], [undefined]])(
    'refuses content type %s with 415',
    (contentType) => {
      expect(() => bodyFormatOf(contentType)).toThrow(UnsupportedMediaTypeError);
    },
  );

  it.each([['{"a":'], ['[1,2]'], ['"text"'], ['null']])('refuses %s as malformed JSON', (text) => {
    expect(() => parseBody(Buffer.from(text), 'json')).toThrow(MalformedBodyError);
  });

  it('parses a form body and unwraps a Slack interactive payload', () => {
    const form = `payload=${encodeURIComponent('{"type":"block_actions","event_id":"Ev1"}')}&x=1`;
    expect(parseBody(Buffer.from(form), 'form')).toEqual({
      payload: { type: 'block_actions', event_id: 'Ev1' },
      x: '1',
    });
  });
});
