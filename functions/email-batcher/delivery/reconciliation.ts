import { reconcileVerdict, type SearchOutcome, settledAt } from '../../../shared/email/reconcile';
import type { CallRecord } from '../../../shared/ledger/types';
import { jobKey } from '../../../shared/messages/email-metadata';
import { mapLimit } from '../../../shared/queue/map-limit';
import type { ReconcileOutcome } from '../telemetry';
import { SETTLE_RESERVE_MS } from './delivery';
import type { ClaimedJob, DeliveryContext } from './delivery-types';
import { holdJob, ledgerStep } from './job-outcomes';

/**
 * Distinct calls searched by one invocation: each search is one request (its page of up to 500
 * messages), run side by side within the search timeout; jobs of calls beyond these wait a second.
 */
const MAX_SEARCHES = 8;

/**
 * Reconciles jobs that went out in calls of unknown outcome before any of them is sent again: one
 * search per such call (not per job), then for each job: found at the provider (recorded sent with its
 * `MessageID`, never sent again), not found once every call settled (returned, to be sent: counted
 * `resent-after-empty-search`), cannot tell yet (waits without spending an attempt or a receive), or
 * unreconciled past the limit (dead-lettered `ambiguous-unreconciled`, unsent).
 * Returns the jobs to send.
 */
export async function reconcileJobs(
  context: DeliveryContext,
  jobs: readonly ClaimedJob[],
): Promise<ClaimedJob[]> {
  if (jobs.length === 0) return [];
  const { deps } = context;
  const { settings, telemetry } = deps;
  const search = deps.search;
  if (search === undefined) {
    // No search (another provider, or switched off): today's behaviour, counted.
    for (const entry of jobs) telemetry.reconciled(lineOf(entry, 'resent-without-search'));
    return [...jobs];
  }
  if (
    context.remainingMs() <
    settings.searchTimeoutMs + settings.callTimeoutMs + SETTLE_RESERVE_MS
  ) {
    await each(jobs, (entry) =>
      waitAmbiguous(context, entry, 'too little invocation time left to search the provider', 1),
    );
    return [];
  }
  let token: string;
  try {
    token = await deps.token.current();
  } catch (error) {
    deps.log.error('the provider token cannot be read: ambiguous jobs wait', { error });
    await each(jobs, (entry) => waitAmbiguous(context, entry, 'provider token unavailable', 30));
    return [];
  }
  // Every call is searched, a young one too: finding the job ends its wait early. An empty listing
  // of a call younger than its settle window proves nothing, so the job then waits for the window.
  const due = new Map<string, CallRecord>();
  for (const entry of jobs) for (const call of entry.hold.calls) due.set(call.ref, call);
  const searches = new Map<string, SearchOutcome>();
  const toSearch: CallRecord[] = [];
  for (const [ref, call] of due) {
    const known = context.listings.get(ref);
    if (known) searches.set(ref, known);
    else if (toSearch.length < MAX_SEARCHES) toSearch.push(call);
  }
  await mapLimit(toSearch, MAX_SEARCHES, async (call) => {
    const { ref } = call;
    const started = deps.now();
    const outcome = await search(token, ref);
    searches.set(ref, outcome);
    // Kept only when made after the call settled: such a listing is complete and will not change.
    if (settledAt(call, settings.reconcile) <= started) context.listings.set(ref, outcome);
    telemetry.searched({
      callRef: ref,
      latencyMs: deps.now() - started,
      result: outcome.kind === 'listed' ? 'listed' : outcome.detail,
      listed: outcome.kind === 'listed' ? outcome.messages.length : 0,
    });
  });
  const send: ClaimedJob[] = [];
  await each(jobs, async (entry) => {
    const verdict = reconcileVerdict(
      entry.hold.calls,
      jobKey(entry.job.id),
      searches,
      deps.now(),
      settings.reconcile,
    );
    switch (verdict.kind) {
      case 'found':
        return found(context, entry, verdict.messageIds);
      case 'send':
        telemetry.reconciled(lineOf(entry, 'resent-after-empty-search'));
        send.push(entry);
        return;
      case 'wait':
        return waitAmbiguous(context, entry, verdict.reason, verdict.seconds);
      case 'give-up':
        return unreconciled(context, entry, verdict.reason);
    }
  });
  return send;
}

function lineOf(entry: ClaimedJob, verdict: ReconcileOutcome) {
  return {
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    verdict,
    calls: entry.hold.calls.map((call) => call.ref),
  };
}

function each(jobs: readonly ClaimedJob[], settle: (entry: ClaimedJob) => Promise<void>) {
  return mapLimit(jobs, 50, settle);
}

/** The provider has the job: recorded sent, acknowledged, never sent again. */
async function found(context: DeliveryContext, entry: ClaimedJob, messageIds: string[]) {
  const { deps } = context;
  const [messageId = ''] = messageIds;
  await ledgerStep(context, entry, 'sent', () =>
    deps.ledger.markSent(
      entry.hold,
      messageId,
      `found at the provider: sent ${messageIds.join(', ')}`,
    ),
  );
  deps.telemetry.reconciled({ ...lineOf(entry, 'found'), messageIds });
  if (messageIds.length > 1) {
    deps.telemetry.reconciled({ ...lineOf(entry, 'double-confirmed'), messageIds });
  }
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'sent',
    messageId,
    attempts: entry.attempts,
    ambiguous: true,
  });
}

/**
 * The job cannot be reconciled yet: it waits with its calls still on record, its attempt given back
 * and its record re-sent with a delay (not left to SQS, which would count a receive).
 */
function waitAmbiguous(
  context: DeliveryContext,
  entry: ClaimedJob,
  reason: string,
  seconds: number,
) {
  return holdJob(context, entry, reason, seconds, 'unknown');
}

/** Unreconciled past the limit: dead-lettered unsent, marked ambiguous, its calls kept for a replay. */
async function unreconciled(context: DeliveryContext, entry: ClaimedJob, reason: string) {
  const { deps, settlement } = context;
  const released = await ledgerStep(context, entry, 'dead', () =>
    deps.ledger.release({ ...entry.hold, ambiguous: true }, 'dead', reason, false, false),
  );
  if (!released) return;
  deps.telemetry.reconciled(lineOf(entry, 'unreconciled'));
  settlement.deadLetter(entry.record, {
    reason: `${reason}; calls: ${entry.hold.calls.map((call) => call.ref).join(', ')}`,
    reasonCode: 'ambiguous-unreconciled',
    attempts: entry.attempts,
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    ambiguous: true,
  });
  deps.telemetry.job({
    jobId: entry.job.id,
    correlationId: entry.correlationId,
    outcome: 'dead-lettered',
    errorCode: 'ambiguous-unreconciled',
    attempts: entry.attempts,
    ambiguous: true,
  });
}
