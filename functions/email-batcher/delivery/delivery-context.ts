import { backoffSeconds } from '../../../shared/queue/deferral';
import type { Settlement } from '../../../shared/queue/settlement';
import type { EmailBatcherDeps } from '../types';
import type { DeliveryContext } from './delivery-types';
import { ledgerStep } from './job-outcomes';
import type { ListingCache } from './listing-cache';

/** Per-invocation state for delivering calls: one token refresh and one pause at most. */
export function makeDeliveryContext(
  deps: EmailBatcherDeps,
  settlement: Settlement,
  remainingMs: () => number,
  listings: ListingCache,
): DeliveryContext {
  let refreshed: Promise<string | undefined> | undefined;
  let paused: Promise<void> | undefined;
  const { settings, telemetry } = deps;
  const context: DeliveryContext = {
    deps,
    settlement,
    remainingMs,
    refreshTokenOnce: () => {
      refreshed ??= deps.token.refresh().catch((error) => {
        deps.log.error('the provider token could not be read again', { error });
        return undefined;
      });
      return refreshed;
    },
    pauseOnce: (reason) => {
      paused ??= deps
        .tokenVersion()
        .catch(() => undefined)
        .then((tokenVersion) => deps.pause.pause(settings.pauseSeconds, reason, tokenVersion))
        .then(
          () => telemetry.paused(reason, settings.pauseSeconds),
          (error) => deps.log.error('could not record the provider pause', { error }),
        );
      return paused;
    },
    pausedThisRun: () => paused !== undefined,
    listings,
    // The call just ended: it settles one settle window from now.
    ambiguousDelaySeconds: () => Math.ceil(settings.reconcile.settleMs / 1000) + 1,
    backoff: (attempts, retryAfter) =>
      backoffSeconds(
        attempts,
        { baseSeconds: settings.backoffBaseSeconds, maxSeconds: settings.backoffMaxSeconds },
        deps.random,
        retryAfter,
      ),
    exhausted: async (entry, lastError, maybeDelivered = false) => {
      // Some attempt may have reached the provider: the dead letter says so, and a replay is flagged.
      const ambiguous = entry.hold.ambiguous || maybeDelivered;
      const released = await ledgerStep(context, entry, 'dead', () =>
        deps.ledger.release({ ...entry.hold, ambiguous }, 'dead', lastError, false, maybeDelivered),
      );
      if (!released) return;
      const reason = `gave up after ${entry.attempts - 1 < settings.maxAttempts ? entry.attempts : settings.maxAttempts} attempts${ambiguous ? ' (ambiguous: the provider may have it)' : ''}; last error: ${lastError}; history: ${entry.history.slice(-6).join(' | ')}`;
      settlement.deadLetter(entry.record, {
        reason,
        reasonCode: 'attempts-exhausted',
        attempts: entry.attempts,
        jobId: entry.job.id,
        correlationId: entry.correlationId,
        ...(ambiguous ? { ambiguous: true } : {}),
      });
      telemetry.job({
        jobId: entry.job.id,
        correlationId: entry.correlationId,
        outcome: 'dead-lettered',
        errorCode: 'attempts-exhausted',
        attempts: entry.attempts,
        ...(ambiguous ? { ambiguous: true } : {}),
      });
    },
  };
  return context;
}
