import { backoffSeconds } from '../../shared/queue/deferral';
import type { Settlement } from '../../shared/queue/settlement';
import type { EmailBatcherDeps } from './batcher';
import type { DeliveryContext } from './delivery';

/** Per-invocation state for delivering calls: one token refresh and one pause at most. */
export function makeDeliveryContext(
  deps: EmailBatcherDeps,
  settlement: Settlement,
): DeliveryContext {
  let refreshed: Promise<string | undefined> | undefined;
  let paused: Promise<void> | undefined;
  const { settings, telemetry } = deps;
  const context: DeliveryContext = {
    deps,
    settlement,
    refreshTokenOnce: () => {
      refreshed ??= deps.token.refresh().catch(() => undefined);
      return refreshed;
    },
    pauseOnce: (reason) => {
      paused ??= deps
        .tokenVersion()
        .catch(() => undefined)
        .then((tokenVersion) => deps.pause.pause(settings.pauseSeconds, reason, tokenVersion))
        .then(
          () => telemetry.paused(reason, settings.pauseSeconds),
          (error) =>
            deps.log.error('could not record the provider pause', { error: String(error) }),
        );
      return paused;
    },
    pausedThisRun: () => paused !== undefined,
    backoff: (attempts, retryAfter) =>
      backoffSeconds(
        attempts,
        { baseSeconds: settings.backoffBaseSeconds, maxSeconds: settings.backoffMaxSeconds },
        deps.random,
        retryAfter,
      ),
    exhausted: async (entry, lastError) => {
      const reason = `gave up after ${entry.attempts - 1 < settings.maxAttempts ? entry.attempts : settings.maxAttempts} attempts; last error: ${lastError}; history: ${entry.history.slice(-6).join(' | ')}`;
      await deps.ledger.release(entry.job.id, 'dead', lastError).catch(() => undefined);
      settlement.deadLetter(entry.record, {
        reason,
        reasonCode: 'attempts-exhausted',
        attempts: entry.attempts,
        jobId: entry.job.id,
        correlationId: entry.correlationId,
      });
      telemetry.job({
        jobId: entry.job.id,
        correlationId: entry.correlationId,
        outcome: 'dead-lettered',
        errorCode: 'attempts-exhausted',
        attempts: entry.attempts,
      });
    },
  };
  return context;
}
