import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  CALL_REF_PLACEHOLDER,
  type PostmarkMessage,
  setCallRef,
  splitIntoCalls,
  toPostmarkMessage,
} from '../../shared/email/postmark';
import type { PausePermit } from '../../shared/email/provider-pause';
import type { CallRecord, ClaimResult } from '../../shared/ledger/types';
import { clampDelay } from '../../shared/queue/deferral';
import { mapLimit } from '../../shared/queue/map-limit';
import { attemptsOf, Settlement } from '../../shared/queue/settlement';
import {
  type ClaimedJob,
  type DeliveryContext,
  deliverCall,
  holdJob,
  SETTLE_RESERVE_MS,
} from './delivery';
import { makeDeliveryContext } from './delivery-context';
import { type BatchJob, prepareBatch } from './jobs';
import { ListingCache } from './listing-cache';
import { reconcileJobs } from './reconciliation';
import type { EmailBatcherDeps, InvocationClock } from './types';

/** Claims in flight at once: enough to claim 500 jobs quickly, few enough not to queue in the SDK. */
const CLAIM_CONCURRENCY = 50;

/**
 * The email batcher: validates a batch of email jobs, folds duplicates, checks the provider pause and
 * the shared rate limit, claims each job in the ledger, sends them in as few provider calls as the
 * limits allow, and settles each job by its own result. Returns the records SQS must redeliver.
 */
export function makeEmailBatcher(deps: EmailBatcherDeps) {
  const { telemetry, settings } = deps;
  const listings = new ListingCache();

  const deferFor = (settlement: Settlement, entry: BatchJob, seconds: number, reason: string) => {
    const delaySeconds = clampDelay(seconds);
    settlement.defer({ record: entry.record, delaySeconds, attempts: attemptsOf(entry.record) });
    telemetry.job({
      jobId: entry.job.id,
      correlationId: entry.correlationId,
      outcome: 'deferred',
      reason,
      delaySeconds,
    });
  };

  async function claimOne(
    entry: BatchJob,
    settlement: Settlement,
    call: CallRecord,
  ): Promise<ClaimedJob | undefined> {
    let claim: ClaimResult;
    try {
      claim = await deps.ledger.claim(
        entry.job.id,
        entry.fingerprint,
        deps.newClaimToken(),
        settings.claimMs,
        entry.fingerprint,
        call,
      );
    } catch (error) {
      // The job is left to SQS: its record comes back after the visibility timeout.
      deps.writeFailed({
        store: 'ledger',
        step: 'claim',
        jobId: entry.job.id,
        correlationId: entry.correlationId,
        error,
      });
      settlement.fail(entry.record);
      return undefined;
    }
    const { id } = entry.job;
    if (claim.kind === 'sent') {
      telemetry.job({
        jobId: id,
        correlationId: entry.correlationId,
        outcome: 'duplicate',
        messageId: claim.messageId,
      });
    } else if (claim.kind === 'busy') {
      deferFor(settlement, entry, claim.retryInMs / 1000, 'another batcher is sending it');
    } else if (claim.kind === 'conflict') {
      const reason = `id "${id}" was already used for an email with other content (addresses, subject, bodies, tag or stream)`;
      settlement.deadLetter(entry.record, {
        reason,
        reasonCode: 'reused-id',
        attempts: attemptsOf(entry.record),
        jobId: id,
        correlationId: entry.correlationId,
      });
      telemetry.job({
        jobId: id,
        correlationId: entry.correlationId,
        outcome: 'dead-lettered',
        errorCode: 'reused-id',
      });
    } else {
      telemetry.claimed({
        jobId: id,
        correlationId: entry.correlationId,
        attempt: claim.attempts,
        ambiguous: claim.ambiguous,
      });
      // A holder that died mid-call: detected now (a call that ended unanswered is counted when it
      // ends). Either way the job is reconciled with the provider before it is sent again.
      if (claim.abandoned) telemetry.ambiguous(id, entry.correlationId);
      return { ...entry, attempts: claim.attempts, history: claim.history, hold: claim.hold };
    }
    return undefined;
  }

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
        deferFor(settlement, entry, seconds + deps.random() * 3, 'provider paused');
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
    const planned = planCalls(jobs);
    const callOf = new Map<string, CallRecord>();
    for (const call of planned) {
      for (const item of call.items) callOf.set(item.entry.job.id, call.record);
    }
    const claimed = (
      await mapLimit(jobs, CLAIM_CONCURRENCY, (entry) =>
        claimOne(entry, context.settlement, callOf.get(entry.job.id) as CallRecord),
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

  /**
   * Tokens only for messages that will really be sent (claimed, reconciled), taken right before their
   * call leaves: a grant is spent at once, so the provider sees the rate the bucket grants. The
   * claimed jobs wait for tokens (their claim outlasts the invocation, see config) up to
   * `rateMaxWaitMs` in all, and while a call could still finish; the rest are held (their attempt given
   * back) and come back spread over a couple of seconds.
   */
  async function sendAsTokensCome(
    queue: { entry: ClaimedJob; message: PostmarkMessage; ref: string }[],
    context: DeliveryContext,
  ): Promise<void> {
    const deadline = deps.now() + settings.rateMaxWaitMs;
    const inFlight: Promise<void>[] = [];
    let next = 0;
    while (next < queue.length) {
      const waitMs = Math.min(
        deadline - deps.now(),
        context.remainingMs() - settings.callTimeoutMs - SETTLE_RESERVE_MS,
      );
      let granted: number;
      try {
        granted = await deps.bucket.take(queue.length - next, Math.max(0, waitMs));
      } catch (error) {
        deps.log.warn('rate limit store unavailable: the jobs wait', { error });
        break;
      }
      if (granted > 0) {
        const part = queue.slice(next, next + granted);
        next += granted;
        // One provider call per planned call the grant covers (a grant never merges two calls).
        for (const call of groupBy(part, (item) => item.ref)) {
          inFlight.push(deliverCall(context, call));
        }
      }
      if (waitMs <= 0 || (granted === 0 && deps.now() >= deadline)) break;
    }
    const held = queue.slice(next);
    await Promise.all([
      ...inFlight,
      mapLimit(held, CLAIM_CONCURRENCY, (item) =>
        holdJob(context, item.entry, 'rate limit', 1 + deps.random() * 2),
      ),
    ]);
  }
  /**
   * Splits jobs into provider calls within the provider's limits, each with its reference, and the
   * messages with our metadata (job key and call reference) in them.
   */
  function planCalls(jobs: readonly BatchJob[]) {
    const at = deps.now();
    const withMessages = jobs.map((entry) => ({
      entry,
      message: toPostmarkMessage(entry.job, CALL_REF_PLACEHOLDER),
    }));
    return splitIntoCalls(withMessages, settings.messagesPerCall, (item) =>
      Buffer.byteLength(JSON.stringify(item.message)),
    ).map((items) => {
      const record: CallRecord = { ref: deps.newCallRef(), at };
      for (const item of items) setCallRef(item.message, record.ref);
      return { record, items };
    });
  }
}

/** Consecutive runs of `items` with the same key, in order. */
function groupBy<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups: T[][] = [];
  let last: string | undefined;
  for (const item of items) {
    const k = key(item);
    const current = groups[groups.length - 1];
    if (current && k === last) current.push(item);
    else groups.push([item]);
    last = k;
  }
  return groups;
}
