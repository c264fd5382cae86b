import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  HttpError,
  MalformedBodyError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../../shared/errors';
import { nestsDeeperThan } from '../../shared/json/depth';
import { isRawJsonNumber, parseJsonExact } from '../../shared/json/exact';

/** What a direct trigger asks for: the workflow's input and, when given, the caller's key. */
export interface DirectRequest {
  input: Record<string, unknown>;
  idempotencyKey?: string;
}

/** Limits a request is checked against before any I/O. */
export interface RequestLimits {
  maxBodyBytes: number;
  maxJsonDepth: number;
}

/** 422: the caller's `Idempotency-Key` was first used for another input. */
export class IdempotencyKeyReusedError extends HttpError {
  constructor(detail: string) {
    super(422, 'Idempotency key reused', detail);
  }
}

/** A key is printable ASCII without spaces: it becomes part of a job id and a header to the engine. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

function header(event: APIGatewayProxyEventV2, wanted: string): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === wanted) return value;
  }
  return undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !isRawJsonNumber(value);

/**
 * Reads and checks a `POST /workflows/{name}` request. The body is the workflow's input, a JSON
 * object; `{"input": {...}}` alone (the workflow job's own shape) is read as that input.
 */
export function readDirectRequest(
  event: APIGatewayProxyEventV2,
  limits: RequestLimits,
): DirectRequest {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > limits.maxBodyBytes) {
    throw new PayloadTooLargeError(
      `The body is ${bytes.length} bytes; the limit is ${limits.maxBodyBytes}`,
    );
  }
  const text = bytes.toString('utf8');
  if (text.trim() === '') {
    throw new MalformedBodyError('The body must be the workflow input, a JSON object (say {})');
  }
  if (nestsDeeperThan(text, limits.maxJsonDepth)) {
    throw new MalformedBodyError(`The JSON nests deeper than ${limits.maxJsonDepth} levels`);
  }
  let body: unknown;
  try {
    // Numbers a double would change stay as their text (shared/json/exact.ts): the fingerprint
    // tells 9007199254740993 from 9007199254740992, and the engine receives what was sent.
    body = parseJsonExact(text);
  } catch {
    // `curl -d` and `fetch` label a JSON string form-encoded or text: JSON is taken whatever the
    // label, and only a body that is not JSON under another label is refused as that type.
    const type = header(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type && type !== 'application/json' && !type.endsWith('+json')) {
      throw new UnsupportedMediaTypeError(`Send the input as JSON (application/json), not ${type}`);
    }
    throw new MalformedBodyError('The body is not valid JSON');
  }
  if (!isObject(body)) {
    throw new MalformedBodyError('The body must be the workflow input, a JSON object');
  }
  const keys = Object.keys(body);
  let input = body;
  if (keys.length === 1 && keys[0] === 'input') {
    if (!isObject(body.input)) throw new MalformedBodyError('"input" must be a JSON object');
    input = body.input;
  }
  const idempotencyKey = header(event, 'idempotency-key')?.trim();
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new HttpError(
      400,
      'Invalid request',
      'Idempotency-Key must be 1 to 200 printable ASCII characters without spaces',
    );
  }
  return { input, ...(idempotencyKey ? { idempotencyKey } : {}) };
}
