import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CallOutcome } from '../../shared/email/postmark';
import {
  CALL_REF_PLACEHOLDER,
  type PostmarkMessage,
  setCallRef,
  splitIntoCalls,
  toPostmarkMessage,
} from '../../shared/email/postmark';
import type { PausePermit, ProviderPause } from '../../shared/email/provider-pause';
import type { ReconcileSettings, SearchOutcome } from '../../shared/email/reconcile';
import type { CallRecord, ClaimResult, JobLedger } from '../../shared/ledger/job-ledger';
import { clampDelay } from '../../shared/queue/deferral';
import { mapLimit } from '../../shared/queue/map-limit';
import { attemptsOf, Settlement, type SettlementDeps } from '../../shared/queue/settlement';
import type { TokenBucket } from '../../shared/rate-limit/token-bucket';
import type { WriteFailed } from '../../shared/write-failures';
import {
  type ClaimedJob,
  type DeliveryContext,
  deliverCall,
  holdJob,
  SETTLE_RESERVE_MS,
} from './delivery';
import { makeDeliveryContext } from './delivery-context';
import { type BatchJob, prepareBatch } from './jobs';
import { ListingCache, reconcileJobs } from './reconciliation';
import type { BatcherTelemetry } from './telemetry';

/** Tunables of the batcher (from config). */
export interface BatcherSettings {
  messagesPerCall: number;
  claimMs: number;
  maxAttempts: number;
  backoffBaseSeconds: number;
  backoffMaxSeconds: number;
  pauseSeconds: number;
  /** Longest wait of a job held for a pause before it looks again. */
  holdRecheckSeconds: number;
  /** Longest a claimed batch waits for tokens, in all (within the invocation's time). */
  rateMaxWaitMs: number;
  /** The provider call's own timeout: a call starts only when the invocation has this much left. */
  callTimeoutMs: number;
  /** One search of the provider's messages, every page, within this. */
  searchTimeoutMs: number;
  reconcile: ReconcileSettings;
}

/** The part of the Lambda context the consumers read: how long the invocation has left. */
export interface InvocationClock {
  getRemainingTimeInMillis(): number;
}

/** Everything the batcher talks to, passed in as one object. */
export interface EmailBatcherDeps extends SettlementDeps {
  ledger: Pick<JobLedger, 'claim' | 'markSent' | 'release'>;
  bucket: Pick<TokenBucket, 'take'>;
  pause: Pick<ProviderPause, 'permit' | 'pause' | 'settleTrial' | 'resume'>;
  send: (token: string, messages: readonly PostmarkMessage[]) => Promise<CallOutcome>;
  /**
   * Lists what the provider took for one call (by the call reference in its messages' metadata);
   * none: the provider has no search (or it is switched off), ambiguous jobs are sent again, counted.
   */
  search?: (token: string, callRef: string) => Promise<SearchOutcome>;
  /** A new call reference (carried by every message of the call). */
  newCallRef: () => string;
  /** The provider token: cached, and fetched anew at most once per invocation on a refusal. */
  token: { current(): Promise<string>; refresh(): Promise<string | undefined> };
  /** The version id of the provider token secret's current value (cached briefly), if readable. */
  tokenVersion: () => Promise<string | undefined>;
  telemetry: BatcherTelemetry;
  /** Logs a failed ledger write with its error and counts it. */
  writeFailed: WriteFailed;
  log: {
    warn(message: string, extra: Record<string, unknown>): void;
    error(message: string, extra: Record<string, unknown>): void;
  };
  settings: BatcherSettings;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  newClaimToken: () => string;
}

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
