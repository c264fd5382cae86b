import type { CallOutcome } from '../../../shared/email/postmark';
import { MAX_TRANSACTION_ITEMS } from '../../../shared/ledger/batched-ledger';
import { mapLimit } from '../../../shared/queue/map-limit';
import type { CallItem, DeliveryContext } from './delivery-types';
import { verdictFor } from './error-codes';
import { deadLetter, holdJob, retry, sent } from './job-outcomes';

/** Settlements written at once: one full transaction of the batched ledger. */
const LEDGER_CONCURRENCY = MAX_TRANSACTION_ITEMS;

/** Time an invocation keeps back after a provider call, to settle its jobs (marks, re-sends). */
export const SETTLE_RESERVE_MS = 3000;

/** Whether a provider call started now could end and be settled before the invocation does. */
const timeForCall = (context: DeliveryContext) =>
  context.remainingMs() >= context.deps.settings.callTimeoutMs + SETTLE_RESERVE_MS;

/**
 * Sends one provider call and settles each of its jobs: sent ones are marked with the provider's
 * `MessageID`, message errors are dead-lettered with their code, account errors pause the provider
 * and the jobs wait without spending an attempt, anything else is retried with backoff.
 */
export async function deliverCall(
  context: DeliveryContext,
  call: readonly CallItem[],
): Promise<void> {
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
async function outOfTime(context: DeliveryContext, call: readonly CallItem[]) {
  await each(call, (item) =>
    holdJob(context, item.entry, 'too little invocation time left for the call', 1),
  );
}

async function settle(context: DeliveryContext, call: readonly CallItem[], outcome: CallOutcome) {
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

async function timedSend(context: DeliveryContext, token: string, call: readonly CallItem[]) {
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

function each(
  call: readonly CallItem[],
  settleOne: (item: CallItem, index: number) => Promise<void>,
) {
  return mapLimit(call, LEDGER_CONCURRENCY, settleOne);
}
