import {
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../shared/errors';
import { nestsDeeperThan } from '../../shared/json/depth';

/** The body as it arrived: API Gateway hands it over as text or base64. */
export interface RawBodyInput {
  body?: string;
  isBase64Encoded?: boolean;
}

/** The two body encodings the suite parses. */
export type BodyFormat = 'json' | 'form';

/** The exact bytes the sender signed, decoded from base64 when API Gateway encoded them. */
export function rawBodyOf(event: RawBodyInput, maxBytes: number): Buffer {
  const body = event.body ?? '';
  const size = event.isBase64Encoded
    ? Math.floor((body.length * 3) / 4) - (body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0)
    : Buffer.byteLength(body, 'utf8');
  // Checked before decoding, so an oversize body costs no copy.
  if (size > maxBytes) throw tooLarge(maxBytes);
  return Buffer.from(body, event.isBase64Encoded ? 'base64' : 'utf8');
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The body is over the limit of ${maxBytes} bytes`);
}

/** Reads the media type (`application/json; charset=utf-8` is JSON); 415 for anything else. */
export function bodyFormatOf(contentType: string | undefined): BodyFormat {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    return 'json';
  }
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  throw new UnsupportedMediaTypeError(
    mediaType
      ? `Content type ${mediaType} is not supported; send application/json or application/x-www-form-urlencoded`
      : 'A Content-Type header is required: application/json or application/x-www-form-urlencoded',
  );
}

/**
 * Refuses, with 400, a body whose JSON (or a form body's `payload` field) nests objects and arrays
 * deeper than `maxDepth`: parsing, hashing and re-serializing it would recurse past the stack.
 */
export function checkNesting(rawBody: Buffer, format: BodyFormat, maxDepth: number): void {
  const text = rawBody.toString('utf8');
  const json = format === 'form' ? (new URLSearchParams(text).get('payload') ?? '') : text;
  if (nestsDeeperThan(json, maxDepth)) {
    throw new MalformedBodyError(`The body nests deeper than the limit of ${maxDepth} levels`);
  }
}

/** A parsed body: always an object (a JSON array or scalar is refused as malformed). */
export type Payload = Record<string, unknown>;

/**
 * Parses the verified bytes. Form bodies become an object of strings (repeated keys keep their last
 * value, as most webhook senders never repeat keys); Slack's interactive `payload=<json>` is unwrapped.
 */
export function parseBody(rawBody: Buffer, format: BodyFormat): Payload {
  const text = rawBody.toString('utf8');
  if (format === 'form') {
    const fields: Payload = Object.fromEntries(new URLSearchParams(text));
    if (typeof fields.payload === 'string' && fields.payload.startsWith('{')) {
      return { ...fields, payload: parseJsonObject(fields.payload, 'The form field "payload"') };
    }
    return fields;
  }
  return parseJsonObject(text, 'The body');
}

function parseJsonObject(text: string, what: string): Payload {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedBodyError(`${what} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedBodyError(`${what} must be a JSON object`);
  }
  return value as Payload;
}

/** The value at a dotted path (`data.object.id`), or undefined when any step is missing. */
export function valueAt(payload: Payload, path: string): unknown {
  let value: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
