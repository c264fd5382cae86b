import type { CallOutcome, PostmarkMessage } from '../../shared/email/postmark';
import type { LedgerHold, StepResult } from '../../shared/ledger/types';
import { mapLimit } from '../../shared/queue/map-limit';
import type { Settlement } from '../../shared/queue/settlement';
import { verdictFor } from './error-codes';
import type { BatchJob } from './jobs';
import type { ListingCache } from './listing-cache';
import type { EmailBatcherDeps } from './types';

/** A job this invocation holds a ledger claim for. */
export interface ClaimedJob extends BatchJob {
  /** Attempts counted so far, this one included. */
  attempts: number;
  history: string[];
  /** The claim: every ledger step of this attempt names it. */
  hold: LedgerHold;
}

/** Per-invocation helpers shared by the calls of one batch. */
export interface DeliveryContext {
  deps: EmailBatcherDeps;
  settlement: Settlement;
  /** Milliseconds the invocation has left. */
  remainingMs: () => number;
  /** Re-reads the token from Secrets Manager, once per invocation. */
  refreshTokenOnce: () => Promise<string | undefined>;
  /** Pauses the provider for every batcher, once per invocation. */
  pauseOnce: (reason: string) => Promise<void>;
  /** Whether this invocation paused the provider. */
  pausedThisRun: () => boolean;
  backoff: (attempts: number, retryAfterSeconds?: number) => number;
  /**
   * The wait after a call of unknown outcome: the settle window, the same for every job of the call
   * (so they come back together and their call is searched once), not the ordinary backoff.
   */
  ambiguousDelaySeconds: () => number;
  /** The container's listings of settled calls (one search per call, whatever the batch). */
  listings: ListingCache;
  /**
   * Dead-letters a job whose last attempt failed, with its history; marked ambiguous when some
   * attempt (`maybeDelivered`: this one) may have reached the provider.
   */
  exhausted: (entry: ClaimedJob, lastError: string, maybeDelivered?: boolean) => Promise<void>;
}

type Item = { entry: ClaimedJob; message: PostmarkMessage };

const LEDGER_CONCURRENCY = 50;

/** Time an invocation keeps back after a provider call, to settle its jobs (marks, re-sends). */
export const SETTLE_RESERVE_MS = 3000;

/**
 * Runs one ledger step of a claimed job. False when the claim was taken over: the job belongs to
 * another holder (another copy of its message) now, so this record is acknowledged without acting on
 * it. A failed write is logged and counted, and the caller goes on (the record's fate still matters
 * more than the ledger's note of it).
 */
export async function ledgerStep(
  context: DeliveryContext,
  entry: ClaimedJob,
  step: string,
  write: () => Promise<StepResult>,
): Promise<boolean> {
  const { deps } = context;
  try {
    if ((await write()) === 'done') return true;
    deps.log.warn('the claim was taken over: the job is left to its new holder', {
      jobId: entry.job.id,
      correlationId: entry.correlationId,
      step,
    });
    return false;
  } catch (error) {
    deps.writeFailed({
      store: 'ledger',
      step,
      jobId: entry.job.id,
      correlationId: entry.correlationId,
      error,
    });
    return true;
  }
}

/** Whether a provider call started now could end and be settled before the invocation does. */
const timeForCall = (context: DeliveryContext) =>
  context.remainingMs() >= context.deps.settings.callTimeoutMs + SETTLE_RESERVE_MS;

/**
 * Sends one provider call and settles each of its jobs: sent ones are marked with the provider's
 * `MessageID`, message errors are dead-lettered with their code, account errors pause the provider
 * and the jobs wait without spending an attempt, anything else is retried with backoff.
 */
export async function deliverCall(context: DeliveryContext, call: readonly Item[]): Promise<void> {
  const { deps } = context;
  let token: string;
  try {
    token = await deps.token.current();
  } catch (error) {
    deps.log.error('the provider token cannot be read: jobs wait', { error });
    await each(call, (item) => holdJob(context, item.entry, 'provider token unavailable', 30));
    return;
  }
  if (!timeForCall(context)) {
    await outOfTime(context, call);
    return;
  }
  let outcome = await timedSend(context, token, call);
  if (outcome.kind === 'unauthorized') {
    // Maybe the token was rotated since it was cached: read it once more, then give up.
    const fresh = await context.refreshTokenOnce();
    if (fresh !== undefined && fresh !== token) {
      if (!timeForCall(context)) {
        await outOfTime(context, call);
        return;
      }
      outcome = await timedSend(context, fresh, call);
    }
  }
  await settle(context, call, outcome);
}

/** A job held for a pause looks again within the recheck period, not after the whole pause. */
function heldSeconds(settings: { pauseSeconds: number; holdRecheckSeconds: number }): number {
  return Math.min(settings.pauseSeconds, settings.holdRecheckSeconds);
}

/**
 * Too little time left for the call: the jobs go back on the queue at once, their attempt given back
 * and their record re-sent (not left to SQS, which would count a receive).
 */
async function outOfTime(context: DeliveryContext, call: readonly Item[]) {
  await each(call, (item) =>
    holdJob(context, item.entry, 'too little invocation time left for the call', 1),
  );
}

async function settle(context: DeliveryContext, call: readonly Item[], outcome: CallOutcome) {
  const { settings } = context.deps;
  switch (outcome.kind) {
    case 'unauthorized': {
      const reason = `the provider answered ${outcome.status} to our token`;
      await context.pauseOnce(reason);
      await each(call, (item) => holdJob(context, item.entry, reason, heldSeconds(settings)));
      return;
    }
    case 'rejected': {
      const verdict = verdictFor(outcome.errorCode);
      const detail = `whole call refused: ErrorCode ${outcome.errorCode}: ${outcome.message}`;
      if (verdict === 'pause') {
        await context.pauseOnce(detail);
        await each(call, (item) => holdJob(context, item.entry, detail, heldSeconds(settings)));
      } else if (verdict === 'dead' && call.length === 1 && call[0]) {
        await deadLetter(context, call[0].entry, outcome.errorCode, outcome.message);
      } else if (verdict === 'dead') {
        // A message error for a whole call does not say which message: split the call in halves and
        // send each, in this same attempt, until the bad message is alone and dead-lettered with its
        // reason. The whole call was refused, so nothing of it was sent and the others lose nothing
        // (one bad message among n costs about 2·log2(n) more calls, not n attempts of the others).
        const middle = Math.ceil(call.length / 2);
        context.deps.log.warn(
          'the provider refused a whole call for a message error: splitting it',
          {
            errorCode: outcome.errorCode,
            messages: call.length,
          },
        );
        await deliverCall(context, call.slice(0, middle));
        await deliverCall(context, call.slice(middle));
      } else {
        // Any other whole-call refusal is about the call, not one message: retry them (bounded).
        await each(call, (item) => retry(context, item.entry, detail, outcome.errorCode));
      }
      return;
    }
    case 'retry':
      await each(call, (item) =>
        retry(
          context,
          item.entry,
          outcome.detail,
          undefined,
          outcome.maybeDelivered,
          outcome.retryAfterSeconds,
        ),
      );
      return;
    case 'results':
      await each(call, async (item, index) => {
        const result = outcome.results[index] ?? { ErrorCode: -1 };
        const code = Number(result.ErrorCode);
        const verdict = verdictFor(code);
        const message = String(result.Message ?? '').slice(0, 300);
        if (verdict === 'sent') return sent(context, item.entry, String(result.MessageID ?? ''));
        if (verdict === 'dead') return deadLetter(context, item.entry, code, message);
        if (verdict === 'pause') {
          await context.pauseOnce(`ErrorCode ${code}: ${message}`);
          return holdJob(context, item.entry, `ErrorCode ${code}`, heldSeconds(settings));
        }
        return retry(context, item.entry, `ErrorCode ${code}: ${message}`, code);
      });
  }
}

async function timedSend(context: DeliveryContext, token: string, call: readonly Item[]) {
  const { deps } = context;
  const started = deps.now();
  const outcome = await deps.send(
    token,
    call.map((item) => item.message),
  );
  const result =
    outcome.kind === 'retry'
      ? outcome.detail
      : outcome.kind === 'unauthorized'
        ? String(outcome.status)
        : outcome.kind;
  deps.telemetry.providerCall({
    latencyMs: deps.now() - started,
    messages: call.length,
    result,
    jobIds: call.map((item) => item.entry.job.id),
    correlationIds: [...new Set(call.map((item) => item.entry.correlationId))],
  });
  return outcome;
}

function each(call: readonly Item[], settleOne: (item: Item, index: number) => Promise<void>) {
  return mapLimit(call, LEDGER_CONCURRENCY, settleOne);
}

async function sent(context: DeliveryContext, entry: ClaimedJob, messageId: string) {
  const { deps } = context;
  // The provider has it: acknowledged whatever the mark came to. A failed mark leaves the claim to
  // expire, and a copy claimed after that is counted ambiguous, which is the truth about it; a claim
  // taken over means another copy is being sent now (also counted ambiguous by its holder).
  await ledgerStep(context, entry, 'sent', () => deps.ledger.markSent(entry.hold, messageId));
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'sent',
    messageId,
    attempts: entry.attempts,
  });
}

async function deadLetter(
  context: DeliveryContext,
  entry: ClaimedJob,
  code: number,
  message: string,
) {
  const { deps, settlement } = context;
  const released = await ledgerStep(context, entry, 'dead', () =>
    deps.ledger.release(entry.hold, 'dead', `ErrorCode ${code}`),
  );
  if (!released) return;
  settlement.deadLetter(entry.record, {
    reason: `the provider refused the message: ErrorCode ${code}: ${message}`,
    reasonCode: `provider-${code}`,
    attempts: entry.attempts,
    jobId: entry.job.id,
    correlationId: entry.correlationId,
  });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'dead-lettered',
    errorCode: code,
    attempts: entry.attempts,
  });
}

/** The job waits (for the provider or the rate limit) without spending an attempt. */
export async function holdJob(
  context: DeliveryContext,
  entry: ClaimedJob,
  reason: string,
  seconds: number,
  /**
   * `unknown`: the job waits for its calls of unknown outcome to be reconciled; they stay on record
   * (this attempt's call never left, so it is not kept).
   */
  status: 'retry' | 'unknown' = 'retry',
) {
  const { deps, settlement } = context;
  const released = await ledgerStep(context, entry, 'hold', () =>
    deps.ledger.release(entry.hold, status, reason, true, false),
  );
  if (!released) return;
  settlement.defer({ record: entry.record, delaySeconds: seconds, attempts: entry.attempts - 1 });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'deferred',
    reason,
    delaySeconds: seconds,
    ...(status === 'unknown' ? { ambiguous: true } : {}),
  });
}

async function retry(
  context: DeliveryContext,
  entry: ClaimedJob,
  error: string,
  errorCode?: number,
  maybeDelivered = false,
  retryAfterSeconds?: number,
) {
  const { deps, settlement } = context;
  if (entry.attempts >= deps.settings.maxAttempts)
    return context.exhausted(entry, error, maybeDelivered);
  const status = maybeDelivered ? 'unknown' : 'retry';
  const released = await ledgerStep(context, entry, status, () =>
    deps.ledger.release(entry.hold, status, error),
  );
  if (!released) return;
  if (maybeDelivered) deps.telemetry.ambiguous(entry.job.id, entry.correlationId);
  const delaySeconds = maybeDelivered
    ? context.ambiguousDelaySeconds()
    : context.backoff(entry.attempts, retryAfterSeconds);
  settlement.defer({ record: entry.record, delaySeconds, attempts: entry.attempts });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'retried',
    errorCode: errorCode ?? error,
    attempts: entry.attempts,
    delaySeconds,
  });
}
