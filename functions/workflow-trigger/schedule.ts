import { MAX_DELAY_SECONDS } from '../../shared/queue/deferral';

/**
 * Seconds until the next attempt: exponential backoff with full jitter (a random wait up to
 * `base * 2^(attempt-1)`, capped at `maxSeconds`), never sooner than the engine's `Retry-After`.
 * May exceed SQS's 900 s: {@link nextHop} chains the wait in hops.
 */
export function retryDelaySeconds(
  attempt: number,
  settings: { baseSeconds: number; maxSeconds: number },
  random: () => number,
  retryAfterSeconds?: number,
): number {
  const ceiling = Math.min(
    settings.maxSeconds,
    settings.baseSeconds * 2 ** Math.max(0, attempt - 1),
  );
  return Math.max(1, Math.ceil(random() * ceiling), Math.ceil(retryAfterSeconds ?? 0));
}

/** The attribute that carries when a chained wait ends (epoch milliseconds). */
export const NOT_BEFORE = 'notBefore';

/**
 * One hop of a wait of `seconds`: the delay for this re-send (at most 900 s) and, when the wait is
 * longer, the attributes that make the next receive re-send it again until `notBefore`.
 */
export function nextHop(
  seconds: number,
  now: number,
): { delaySeconds: number; attributes: Record<string, string> } {
  const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds)));
  if (seconds <= MAX_DELAY_SECONDS) return { delaySeconds, attributes: { [NOT_BEFORE]: '0' } };
  return { delaySeconds, attributes: { [NOT_BEFORE]: String(now + Math.ceil(seconds) * 1000) } };
}
