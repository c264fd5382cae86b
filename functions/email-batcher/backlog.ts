import { SETTLE_RESERVE_MS } from './delivery/delivery';

/** What decides whether a sustained backlog cycles through the queue. */
export interface BacklogSettings {
  /** Records per invocation (the event's `batchSize`). */
  batchSize: number;
  /** Concurrent batchers (the event's `maximumConcurrency`). */
  maxConcurrency: number;
  /** Messages per second across all batchers (`EMAIL_RATE_PER_SECOND`). */
  ratePerSecond: number;
  functionTimeoutSeconds: number;
  providerTimeoutMs: number;
}

/** Time an invocation spends on its claims before it waits for tokens (a full batch, loaded table). */
const CLAIMS_MS = 1000;

/**
 * Milliseconds one invocation can wait for rate tokens: its timeout less the claims, the provider
 * call that must still fit after the last grant and the time kept to settle it.
 */
export function tokenWaitMs(
  settings: Pick<BacklogSettings, 'functionTimeoutSeconds' | 'providerTimeoutMs'>,
) {
  return Math.max(
    0,
    settings.functionTimeoutSeconds * 1000 -
      CLAIMS_MS -
      settings.providerTimeoutMs -
      SETTLE_RESERVE_MS,
  );
}

/**
 * Re-sends per sent message a sustained backlog costs in the steady state. Lambda hands the batchers
 * `batchSize x maxConcurrency` records at a time, and the shared rate lets them send
 * `ratePerSecond x tokenWaitMs` of those before their invocations must stop waiting: the rest are
 * deferred (re-sent to the queue), received again and, while the backlog lasts, deferred again. 0 when
 * every record handed over can be sent within one invocation's wait: the event source is then held
 * back by the invocations themselves, and each job is received once.
 */
export function backlogResendsPerSend(settings: BacklogSettings): number {
  const handed = settings.batchSize * settings.maxConcurrency;
  const sendable = (settings.ratePerSecond * tokenWaitMs(settings)) / 1000;
  return sendable <= 0 ? Number.POSITIVE_INFINITY : Math.max(0, handed / sendable - 1);
}
