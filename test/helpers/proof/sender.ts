import { type Delivery, type Signing, signDelivery } from './webhooks';

/** How one delivery ended, as its sender saw it. */
export interface SendOutcome {
  delivery: Delivery;
  /** The final status: 2xx accepted, 4xx refused (never retried), or `gave-up` at the deadline. */
  status: number | 'gave-up';
  /** The event id ingest answered with (2xx only). */
  eventId?: string;
  attempts: number;
  /** Why earlier attempts were retried: `409`, `429`, `503`, `network`, ... */
  retries: string[];
}

/** A sender's retry policy, like a webhook provider's (short, for a test run). */
export interface SenderOptions {
  url: string;
  signing: Signing;
  concurrency: number;
  /** How long a sender keeps retrying one delivery, from its first attempt. */
  deadlineMs: number;
  /** Timeout of one request. */
  requestTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a real sender retries this answer: conflicts, throttling and server errors. */
const retryable = (status: number) => status === 409 || status === 429 || status >= 500;

/** `Retry-After` in ms (delta seconds only; senders of this run never see a date). */
function retryAfterMs(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}

/**
 * Posts one delivery, re-signing each attempt, and retries 409, 429, 5xx and network errors with
 * exponential backoff and full jitter (at least `Retry-After`) until the deadline; a 4xx other than
 * 409 and 429 is final at once.
 */
async function deliver(delivery: Delivery, options: SenderOptions): Promise<SendOutcome> {
  const deadline = Date.now() + options.deadlineMs;
  const retries: string[] = [];
  const target = `${options.url}/webhooks/${delivery.event.source}`;
  for (let attempt = 1; ; attempt += 1) {
    let wait: number | undefined;
    try {
      const { body, headers } = signDelivery(options.signing, delivery.event);
      const response = await fetch(target, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.requestTimeoutMs),
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) {
        const eventId = (JSON.parse(text) as { eventId?: string }).eventId;
        return { delivery, status: response.status, attempts: attempt, retries, eventId };
      }
      if (!retryable(response.status)) {
        return { delivery, status: response.status, attempts: attempt, retries };
      }
      retries.push(String(response.status));
      wait = retryAfterMs(response);
    } catch (error) {
      retries.push(error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network');
    }
    const ceiling = Math.min(options.backoffMaxMs, options.backoffBaseMs * 2 ** (attempt - 1));
    const delay = Math.max(wait ?? 0, Math.random() * ceiling);
    if (Date.now() + delay > deadline) {
      return { delivery, status: 'gave-up', attempts: attempt, retries };
    }
    await sleep(delay);
  }
}

/**
 * Sends every delivery in order with `concurrency` senders in parallel; `onProgress` hears of each
 * one done.
 */
export async function sendAll(
  deliveries: readonly Delivery[],
  options: SenderOptions,
  onProgress: (done: number) => void = () => {},
): Promise<SendOutcome[]> {
  const outcomes: SendOutcome[] = new Array(deliveries.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < deliveries.length) {
      const position = next;
      next += 1;
      outcomes[position] = await deliver(deliveries[position] as Delivery, options);
      done += 1;
      onProgress(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return outcomes;
}
