import { DependencyError } from '../errors';
import { recipientsOf } from '../messages/email-job-schema';
import { jobKey, METADATA_CALL, METADATA_JOB } from '../messages/email-metadata';
import type { EmailJob } from '../messages/jobs';

/** One message as Postmark's batch API takes it. */
export interface PostmarkMessage {
  From: string;
  To: string;
  Subject: string;
  HtmlBody?: string;
  TextBody?: string;
  Tag?: string;
  Metadata?: Record<string, string>;
  MessageStream?: string;
}

/** Postmark's answer for one message of a batch, in the order sent. */
export interface PostmarkResult {
  ErrorCode: number;
  Message?: string;
  MessageID?: string;
}

/** What one batch call came to. */
export type CallOutcome =
  | { kind: 'results'; results: PostmarkResult[] }
  /** 401, 403 or 404: our token or URL is wrong, not the messages. */
  | { kind: 'unauthorized'; status: number }
  /** A whole-call 422, to be classified by its `ErrorCode`. */
  | { kind: 'rejected'; errorCode: number; message: string }
  /**
   * Timeout, network error, 429, 5xx or an unreadable answer. `maybeDelivered`: the request may have
   * reached the provider (a timeout after sending), so a retry is an ambiguous attempt.
   */
  | { kind: 'retry'; detail: string; retryAfterSeconds?: number; maybeDelivered: boolean };

/** The token in the provider secret `<prefix>/providers/email` (`{"token": "..."}`). */
export function providerTokenOf(value: unknown): string {
  const token = (value as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string' || token === '') {
    throw new DependencyError('The email provider secret has no "token"');
  }
  return token;
}

/** Postmark's limit on one batch request body. */
export const MAX_CALL_BYTES = 50 * 1024 * 1024;

/** Stands in for a call reference until the call is planned: as long as the real one (a UUID). */
export const CALL_REF_PLACEHOLDER = '00000000-0000-0000-0000-000000000000';

/**
 * The provider message for a job (Postmark field names), with our metadata beside the job's own: the
 * job's key and the call's reference, by which the provider's search finds it again.
 */
export function toPostmarkMessage(job: EmailJob, callRef: string): PostmarkMessage {
  return {
    From: job.from,
    To: recipientsOf(job.to).join(', '),
    Subject: job.subject,
    ...(job.htmlBody !== undefined ? { HtmlBody: job.htmlBody } : {}),
    ...(job.textBody !== undefined ? { TextBody: job.textBody } : {}),
    ...(job.tag !== undefined ? { Tag: job.tag } : {}),
    Metadata: { ...job.metadata, [METADATA_JOB]: jobKey(job.id), [METADATA_CALL]: callRef },
    ...(job.messageStream !== undefined ? { MessageStream: job.messageStream } : {}),
  };
}

/** Puts the call's reference in a planned message. */
export function setCallRef(message: PostmarkMessage, callRef: string): void {
  message.Metadata = { ...message.Metadata, [METADATA_CALL]: callRef };
}

/**
 * Splits items into calls within the provider's limits: `maxMessages` per call and 50 MB of JSON.
 * `bytesOf` gives each item's serialized size.
 */
export function splitIntoCalls<T>(
  items: readonly T[],
  maxMessages: number,
  bytesOf: (item: T) => number,
  maxBytes = MAX_CALL_BYTES,
): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = bytesOf(item) + 1;
    if (current.length > 0 && (current.length >= maxMessages || bytes + size > maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** `Retry-After` in seconds (delta or HTTP date), when present and sensible. */
export function retryAfterSeconds(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Errors that prove the request never left this machine, so the provider cannot have it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** How the batcher reaches the provider. */
export interface PostmarkClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * Sends one batch (`POST {baseUrl}/email/batch`) with its own timeout and turns every answer, or the
 * lack of one, into a {@link CallOutcome}. The token is only ever put in the request header.
 */
export async function sendBatch(
  options: PostmarkClientOptions,
  token: string,
  messages: readonly PostmarkMessage[],
): Promise<CallOutcome> {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(`${options.baseUrl}/email/batch`, {
      method: 'POST',
      headers: {
        Accept: 'application/json',
        'Content-Type': 'application/json',
        'X-Postmark-Server-Token': token,
      },
      body: JSON.stringify(messages),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const code = causeCode(error);
    const timedOut = (error as Error)?.name === 'TimeoutError';
    return {
      kind: 'retry',
      detail: timedOut
        ? `no answer within ${options.timeoutMs} ms`
        : `network error ${code ?? ''}`.trim(),
      maybeDelivered: !(code && NOT_SENT_CODES.has(code)),
    };
  }
  const status = response.status;
  if (status === 401 || status === 403 || status === 404) return { kind: 'unauthorized', status };
  const body = parseJson(text);
  if (status === 422) {
    const errorCode = Number((body as PostmarkResult | undefined)?.ErrorCode ?? Number.NaN);
    const message = String((body as PostmarkResult | undefined)?.Message ?? 'unprocessable');
    return { kind: 'rejected', errorCode, message: message.slice(0, 300) };
  }
  if (status === 200 && Array.isArray(body) && body.length === messages.length) {
    return { kind: 'results', results: body as PostmarkResult[] };
  }
  if (status === 200) {
    // Accepted but unreadable: some of it may have been sent.
    return {
      kind: 'retry',
      detail: 'answer 200 without one result per message',
      maybeDelivered: true,
    };
  }
  return {
    kind: 'retry',
    detail: `answer ${status}`,
    retryAfterSeconds: retryAfterSeconds(response.headers.get('retry-after'), now()),
    maybeDelivered: false,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
