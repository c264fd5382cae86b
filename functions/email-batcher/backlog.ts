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
 * The share of `rate x wait` counted on: the batchers of one round do not start together, the claims
 * and calls take their time on a loaded table, and tokens come in lumps (`RATE_LUMP_SECONDS` in
 * wiring.ts). Measured in the backlog bench (3 runs each): 2 x 350 records (7/8 of the rate) with
 * whole-batch lumps 0.12 to 0.29 re-sends per send; 2 x 300 (3/4) with whole-batch lumps 0.00 to 0.30;
 * 2 x 300 with 2 s lumps 0.00 to 0.07, with 3 s lumps (the default) 0.01 to 0.13.
 */
export const SENDABLE_SHARE = 0.8;

/**
 * Re-sends per sent message a sustained backlog costs in the steady state. Lambda hands the batchers
 * `batchSize x maxConcurrency` records at a time, and the shared rate lets them send
 * `SENDABLE_SHARE x ratePerSecond x tokenWaitMs` of those before their invocations must stop waiting: the rest are
 * deferred (re-sent to the queue), received again and, while the backlog lasts, deferred again. 0 when
 * every record handed over can be sent within one invocation's wait: the event source is then held
 * back by the invocations themselves, and each job is received once.
 */
export function backlogResendsPerSend(settings: BacklogSettings): number {
  const handed = settings.batchSize * settings.maxConcurrency;
  const sendable = (SENDABLE_SHARE * settings.ratePerSecond * tokenWaitMs(settings)) / 1000;
  return sendable <= 0 ? Number.POSITIVE_INFINITY : Math.max(0, handed / sendable - 1);
}
