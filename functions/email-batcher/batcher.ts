import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { PausePermit } from '../../shared/email/provider-pause';
import { MAX_TRANSACTION_ITEMS } from '../../shared/ledger/batched-ledger';
import type { CallRecord } from '../../shared/ledger/types';
import { mapLimit } from '../../shared/queue/map-limit';
import { attemptsOf, Settlement } from '../../shared/queue/settlement';
import { claimJob, deferJob } from './claims';
import { planCalls, sendAsTokensCome } from './delivery/calls';
import { makeDeliveryContext } from './delivery/delivery-context';
import type { ClaimedJob, DeliveryContext } from './delivery/delivery-types';
import { ListingCache } from './delivery/listing-cache';
import { reconcileJobs } from './delivery/reconciliation';
import { type BatchJob, prepareBatch } from './jobs';
import type { EmailBatcherDeps, InvocationClock } from './types';

/**
 * Claims in flight at once: one full transaction of the batched ledger (its claims of one turn go to
 * DynamoDB together), so 500 jobs are claimed in 5 round trips.
 */
const CLAIM_CONCURRENCY = MAX_TRANSACTION_ITEMS;

/**
 * The email batcher: validates a batch of email jobs, folds duplicates, checks the provider pause and
 * the shared rate limit, claims each job in the ledger (claims.ts), sends them in as few provider
 * calls as the limits allow (delivery/calls.ts, delivery/delivery.ts), and settles each job by its own
 * result (delivery/job-outcomes.ts). Returns the records SQS must redeliver.
 */
export function makeEmailBatcher(deps: EmailBatcherDeps) {
  const { telemetry, settings } = deps;
  const listings = new ListingCache();

  /**
   * `invocation`: the Lambda context, whose remaining time decides whether a provider call can still
   * finish (none given: time is not limited).
   */
  return async function handleBatch(
    event: SQSEvent,
    invocation?: InvocationClock,
  ): Promise<SQSBatchResponse> {
    const settlement = new Settlement(deps);
    const batch = prepareBatch(event.Records);
    for (const { record, reason, reasonCode, jobId } of batch.rejected) {
      const correlationId =
        record.messageAttributes?.correlationId?.stringValue ?? record.messageId;
      settlement.deadLetter(record, {
        reason,
        reasonCode,
        attempts: attemptsOf(record),
        jobId,
        correlationId,
      });
      telemetry.job({
        jobId: jobId ?? record.messageId,
        correlationId,
        outcome: 'dead-lettered',
        errorCode: reasonCode,
        reason,
      });
    }
    for (const { record, jobId } of batch.duplicates) {
      const correlationId =
        record.messageAttributes?.correlationId?.stringValue ?? record.messageId;
      telemetry.job({ jobId, correlationId, outcome: 'duplicate' });
    }
    const remainingMs = () => invocation?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    if (batch.jobs.length > 0)
      await sendJobs(batch.jobs, makeDeliveryContext(deps, settlement, remainingMs, listings));
    return settlement.finish();
  };

  /** The pause's permit; a refusal's pause ends at once when the token secret has a new version. */
  async function permitNow(): Promise<PausePermit> {
    const permit = await deps.pause.permit();
    if (permit.kind !== 'paused' || permit.tokenVersion === undefined) return permit;
    const current = await deps.tokenVersion();
    if (current === undefined || current === permit.tokenVersion) return permit;
    const resumed = await deps.pause.resume(
      {
        via: 'new-token-version',
        by: 'email-batcher',
        reason: 'the provider token secret has a new version',
      },
      permit.tokenVersion,
    );
    return resumed ? deps.pause.permit() : permit;
  }

  async function sendJobs(jobs: BatchJob[], context: DeliveryContext): Promise<void> {
    const { settlement } = context;
    let permit: PausePermit;
    try {
      permit = await permitNow();
    } catch (error) {
      deps.log.warn('state table unavailable: the batch is left to SQS', { error });
      for (const entry of jobs) settlement.fail(entry.record);
      return;
    }
    if (permit.kind === 'paused') {
      // Held jobs look again at least every holdRecheckSeconds, so a resume reaches them soon;
      // spread over a few seconds, so they do not all come back at the same instant.
      const seconds = Math.min(permit.remainingMs / 1000, settings.holdRecheckSeconds);
      for (const entry of jobs) {
        deferJob(deps, settlement, entry, seconds + deps.random() * 3, 'provider paused');
      }
      return;
    }
    if (permit.kind === 'trial' && permit.resumedVia) telemetry.resumed(permit.resumedVia);
    await deliverJobs(jobs, context);
    // A refusal during the trial paused the provider again (and dropped the lease); otherwise the
    // provider takes our token and every batcher sends again.
    if (permit.kind === 'trial' && !context.pausedThisRun()) {
      await deps.pause
        .settleTrial(permit.token)
        .catch((error) => deps.log.warn('could not settle the trial', { error: String(error) }));
    }
  }

  async function deliverJobs(jobs: BatchJob[], context: DeliveryContext): Promise<void> {
    // The calls are planned before the claims, so each claim records its call's reference and time in
    // the job's ledger item before the request can leave: a batcher that dies after sending leaves
    // jobs the next holder reconciles with the provider instead of sending again. A planned call may
    // leave in parts (as tokens come); its parts share its reference, and a search matches each
    // message by its job key.
    const planned = planCalls(deps, jobs);
    const callOf = new Map<string, CallRecord>();
    for (const call of planned) {
      for (const item of call.items) callOf.set(item.entry.job.id, call.record);
    }
    const claimed = (
      await mapLimit(jobs, CLAIM_CONCURRENCY, (entry) =>
        claimJob(deps, entry, context.settlement, callOf.get(entry.job.id) as CallRecord),
      )
    ).filter((entry): entry is ClaimedJob => entry !== undefined);
    const ready: ClaimedJob[] = [];
    const ambiguous: ClaimedJob[] = [];
    for (const entry of claimed) {
      if (entry.attempts > settings.maxAttempts) {
        // Attempts made by a consumer that crashed before it could settle them.
        await context.exhausted(entry, 'attempts made without an outcome');
      } else if (entry.hold.calls.length > 0) {
        ambiguous.push(entry);
      } else {
        ready.push(entry);
      }
    }
    ready.push(...(await reconcileJobs(context, ambiguous)));
    const readyById = new Map(ready.map((entry) => [entry.job.id, entry]));
    // In planned order, so that the parts of one call leave together when tokens allow.
    const queue = planned.flatMap((call) =>
      call.items.flatMap((item) => {
        const entry = readyById.get(item.entry.job.id);
        return entry ? [{ entry, message: item.message, ref: call.record.ref }] : [];
      }),
    );
    await sendAsTokensCome(queue, context);
  }
}
