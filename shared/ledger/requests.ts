import { keepHistoryEnds, showHistory } from './history';
import type { LedgerTable } from './ledger-table';
import type { CallRecord, ClaimResult, JobStatus, LedgerEntry, LedgerHold } from './types';

// The ledger's writes as request parameters, shared by the one-job-at-a-time JobLedger (claim.ts,
// holder-steps.ts) and the BatchedLedger, which sends the same updates in transactions of many jobs.

/** One claim asked for: the arguments of `JobLedger.claim`. */
export interface ClaimRequest {
  jobId: string;
  fingerprint: string;
  token: string;
  claimMs: number;
  previousFingerprint: string;
  call?: CallRecord;
}

/** One step after the claim: what `JobLedger`'s sent, released and dead steps write. */
export interface StepRequest {
  hold: LedgerHold;
  status: JobStatus;
  note: string;
  set: Record<string, string>;
  attempt: 'counted' | 'refunded';
  /** The calls left to reconcile after this step (none: the list is removed). */
  calls: readonly CallRecord[];
}

/** An UpdateItem's parameters (document-client values), as UpdateCommand and TransactWriteItems take. */
export interface LedgerUpdate {
  TableName: string;
  Key: { pk: string; sk: string };
  ConditionExpression: string;
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** The claim's history line. */
export function claimLine(table: LedgerTable, request: ClaimRequest): string {
  return table.line(request.call ? `claimed for call ${request.call.ref}` : 'claimed');
}

/** Only a job with no item yet: the condition of a batched first claim. */
export const FIRST_CLAIM = 'attribute_not_exists(pk)';

/** Not sent, same content (or its earlier fingerprint), and no live claim of another holder. */
export const ANY_CLAIM =
  'attribute_not_exists(pk) OR (#status <> :sent AND ' +
  '(#fingerprint = :fingerprint OR #fingerprint = :previous) AND ' +
  '(#status <> :claimed OR #claimExpiresAt < :now))';

/**
 * Which items a claim may take: `first` only a job with no item; `any` every job {@link ANY_CLAIM}
 * allows (the one-job claim, which reads the old item back); `pinned` a job whose item was read
 * before (a batched claim of a job that has an item) and is unchanged since: every ledger write moves
 * `historyCount` on, so the same count means the old item the result is built from is still the item.
 */
export type ClaimCondition =
  | { kind: 'first' }
  | { kind: 'any' }
  | { kind: 'pinned'; historyCount: number | undefined };

function conditionOf(condition: ClaimCondition): string {
  if (condition.kind === 'first') return FIRST_CLAIM;
  if (condition.kind === 'any') return ANY_CLAIM;
  const pin =
    condition.historyCount === undefined
      ? 'attribute_not_exists(#historyCount)'
      : '#historyCount = :seenCount';
  return `attribute_exists(pk) AND (${ANY_CLAIM}) AND ${pin}`;
}

/**
 * Whether {@link ANY_CLAIM} lets a claim take `old` at `now`; when not, what the claim answers: the
 * job sent, held by a live claim, or its id used for other content.
 */
export function claimRefusal(
  old: LedgerEntry | undefined,
  fingerprints: readonly string[],
  now: number,
): ClaimResult | undefined {
  if (old === undefined) return undefined;
  if (!fingerprints.includes(old.fingerprint)) return { kind: 'conflict' };
  if (old.status === 'sent') return { kind: 'sent', messageId: old.messageId };
  // As ANY_CLAIM reads it: a claim without an expiry never ran out.
  const expired = old.claimExpiresAt !== undefined && old.claimExpiresAt < now;
  if (old.status === 'claimed' && !expired) {
    return { kind: 'busy', retryInMs: Math.max(1000, (old.claimExpiresAt ?? now) - now) };
  }
  return undefined;
}

/**
 * The claim's update: status claimed with the holder's token until `now + claimMs`, one attempt
 * more, a history line, the item's first expiry, and the call this attempt will make. The history
 * grows by one line here; the holder's next step writes it back trimmed.
 */
export function claimUpdate(
  table: LedgerTable,
  request: ClaimRequest,
  line: string,
  condition: ClaimCondition,
): LedgerUpdate {
  const now = table.options.now();
  const { call } = request;
  return {
    TableName: table.options.tableName,
    Key: table.key(request.jobId),
    ConditionExpression: conditionOf(condition),
    UpdateExpression:
      'SET #status = :claimed, #fingerprint = :fingerprint, #claimToken = :token, ' +
      '#claimExpiresAt = :expires, #attempts = if_not_exists(#attempts, :zero) + :one, ' +
      '#history = list_append(if_not_exists(#history, :empty), :entry), ' +
      '#historyCount = if_not_exists(#historyCount, :zero) + :one, ' +
      '#expiresAt = if_not_exists(#expiresAt, :keep)' +
      (call ? ', #calls = list_append(if_not_exists(#calls, :empty), :call)' : ''),
    ExpressionAttributeNames: {
      ...(call ? { '#calls': 'calls' } : {}),
      '#status': 'status',
      '#fingerprint': 'fingerprint',
      '#claimToken': 'claimToken',
      '#claimExpiresAt': 'claimExpiresAt',
      '#attempts': 'attempts',
      '#history': 'history',
      '#historyCount': 'historyCount',
      '#expiresAt': 'expiresAt',
    },
    ExpressionAttributeValues: {
      // The values only the full condition uses are left out of a first claim's (DynamoDB refuses
      // values an expression does not use).
      ...(condition.kind === 'first'
        ? {}
        : { ':sent': 'sent', ':previous': request.previousFingerprint, ':now': now }),
      ...(condition.kind === 'pinned' && condition.historyCount !== undefined
        ? { ':seenCount': condition.historyCount }
        : {}),
      ':claimed': 'claimed',
      ':fingerprint': request.fingerprint,
      ':token': request.token,
      ':expires': now + request.claimMs,
      ':zero': 0,
      ':one': 1,
      ':empty': [],
      ':entry': [line],
      ':keep': table.keepUntil(),
      ...(call ? { ':call': [call] } : {}),
    },
  };
}

/** What a claim that succeeded hands back, from the item as it was before (none: a first claim). */
export function claimedResult(
  old: LedgerEntry | undefined,
  request: ClaimRequest,
  line: string,
): ClaimResult {
  // An earlier holder's claim ran out, or its call ended without an answer: the provider may
  // already have this message, and Postmark takes no idempotency key.
  const ambiguous = old?.status === 'claimed' || old?.status === 'unknown';
  const oldHistory = old?.history ?? [];
  const history = [...oldHistory, line];
  const historyCount = Math.max(old?.historyCount ?? 0, oldHistory.length) + 1;
  return {
    kind: 'claimed',
    attempts: (old?.attempts ?? 0) + 1,
    ambiguous,
    abandoned: old?.status === 'claimed',
    history: showHistory(keepHistoryEnds(history), historyCount),
    hold: {
      jobId: request.jobId,
      token: request.token,
      history,
      historyCount,
      ambiguous: ambiguous || old?.ambiguous === true,
      calls: old?.calls ?? [],
      ...(request.call ? { current: request.call } : {}),
    },
  };
}

/**
 * A step of the holder, written only while the item still carries the holder's token. The history
 * is written whole, its ends kept: the token guarantees no other holder appended meanwhile.
 */
export function stepUpdate(table: LedgerTable, step: StepRequest): LedgerUpdate {
  const { hold, status, calls } = step;
  const history = [...hold.history, table.line(step.note)];
  const names: Record<string, string> = {
    '#status': 'status',
    '#history': 'history',
    '#historyCount': 'historyCount',
    '#claimToken': 'claimToken',
    '#claimExpiresAt': 'claimExpiresAt',
    '#ambiguous': 'ambiguous',
    '#calls': 'calls',
  };
  const values: Record<string, unknown> = {
    ':status': status,
    ':history': keepHistoryEnds(history),
    ':historyCount': hold.historyCount + 1,
    ':token': hold.token,
    ':ambiguous': hold.ambiguous || status === 'unknown',
  };
  const sets = [
    '#status = :status',
    '#history = :history',
    '#historyCount = :historyCount',
    '#ambiguous = :ambiguous',
  ];
  const removes = ['#claimToken', '#claimExpiresAt'];
  if (calls.length > 0) {
    values[':calls'] = calls;
    sets.push('#calls = :calls');
  } else {
    removes.push('#calls');
  }
  for (const [name, value] of Object.entries(step.set)) {
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    sets.push(`#${name} = :${name}`);
  }
  if (step.attempt === 'refunded') {
    names['#attempts'] = 'attempts';
    values[':one'] = 1;
    sets.push('#attempts = #attempts - :one');
  } else {
    // Attempts are bounded, so moving the expiry on for each one is bounded too.
    names['#expiresAt'] = 'expiresAt';
    values[':keep'] = table.keepUntil();
    sets.push('#expiresAt = :keep');
  }
  return {
    TableName: table.options.tableName,
    Key: table.key(hold.jobId),
    ConditionExpression: '#claimToken = :token',
    UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * The step `release` writes: `refundAttempt` gives the attempt back, `currentMaybeSent` keeps this
 * attempt's call on record to be reconciled (see `JobLedger.release`).
 */
export function releaseStep(
  table: LedgerTable,
  hold: LedgerHold,
  status: 'retry' | 'unknown' | 'dead',
  error: string,
  refundAttempt: boolean,
  currentMaybeSent: boolean,
): StepRequest {
  const calls =
    currentMaybeSent && hold.current
      ? [...hold.calls, { ...hold.current, endedAt: table.options.now() }]
      : hold.calls;
  return {
    hold,
    status,
    note: `${status}: ${error}`,
    set: { lastError: error.slice(0, 500) },
    attempt: refundAttempt ? 'refunded' : 'counted',
    calls,
  };
}

/** The step `markSent` writes. */
export function sentStep(hold: LedgerHold, messageId: string, note: string): StepRequest {
  return { hold, status: 'sent', note, set: { messageId }, attempt: 'counted', calls: [] };
}
