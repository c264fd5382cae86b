import {
  CALL_REF_PLACEHOLDER,
  type PostmarkMessage,
  setCallRef,
  splitIntoCalls,
  toPostmarkMessage,
} from '../../../shared/email/postmark';
import { MAX_TRANSACTION_ITEMS } from '../../../shared/ledger/batched-ledger';
import type { CallRecord } from '../../../shared/ledger/types';
import { mapLimit } from '../../../shared/queue/map-limit';
import type { BatchJob } from '../jobs';
import type { EmailBatcherDeps } from '../types';
import { deliverCall, SETTLE_RESERVE_MS } from './delivery';
import type { ClaimedJob, DeliveryContext } from './delivery-types';
import { holdJob } from './job-outcomes';

// A batch's provider calls: planned before the claims (each claim records its call), then sent as
// the shared rate limit grants tokens for them.

/** Holds written at once for the jobs the rate limit left: one full transaction of the batched ledger. */
const HOLD_CONCURRENCY = MAX_TRANSACTION_ITEMS;

/** One planned provider call: its record (reference and time) and its jobs with their messages. */
export interface PlannedCall {
  record: CallRecord;
  items: { entry: BatchJob; message: PostmarkMessage }[];
}

/** A claimed job ready to send, with its message and its call's reference. */
export type QueuedMessage = { entry: ClaimedJob; message: PostmarkMessage; ref: string };

/**
 * Splits jobs into provider calls within the provider's limits, each with its reference, and the
 * messages with our metadata (job key and call reference) in them.
 */
export function planCalls(deps: EmailBatcherDeps, jobs: readonly BatchJob[]): PlannedCall[] {
  const at = deps.now();
  const withMessages = jobs.map((entry) => ({
    entry,
    message: toPostmarkMessage(entry.job, CALL_REF_PLACEHOLDER),
  }));
  return splitIntoCalls(withMessages, deps.settings.messagesPerCall, (item) =>
    Buffer.byteLength(JSON.stringify(item.message)),
  ).map((items) => {
    const record: CallRecord = { ref: deps.newCallRef(), at };
    for (const item of items) setCallRef(item.message, record.ref);
    return { record, items };
  });
}

/**
 * Tokens only for messages that will really be sent (claimed, reconciled), taken right before their
 * call leaves: a grant is spent at once, so the provider sees the rate the bucket grants. The
 * claimed jobs wait for tokens (their claim outlasts the invocation, see config) up to
 * `rateMaxWaitMs` in all, and while a call could still finish; the rest are held (their attempt given
 * back) and come back spread over a couple of seconds.
 */
export async function sendAsTokensCome(
  queue: QueuedMessage[],
  context: DeliveryContext,
): Promise<void> {
  const { deps } = context;
  const { settings } = deps;
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
    mapLimit(held, HOLD_CONCURRENCY, (item) =>
      holdJob(context, item.entry, 'rate limit', 1 + deps.random() * 2),
    ),
  ]);
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
