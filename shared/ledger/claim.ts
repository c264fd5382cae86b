import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { keepHistoryEnds, showHistory } from './history';
import type { LedgerTable } from './ledger-table';
import type { CallRecord, ClaimResult, LedgerEntry } from './types';

/**
 * Claims `jobId` for `claimMs` and counts one attempt, unless it was sent, another consumer holds a
 * live claim, or the id was first used for different content (`conflict`). The claim is a conditional
 * write, and the old item comes back (`ALL_OLD`), so a claim that expired while its holder was
 * calling is recognised as an ambiguous attempt rather than overwritten silently.
 * `JobLedger.claim` (job-ledger.ts) is how callers reach it.
 */
export async function claimJob(
  table: LedgerTable,
  jobId: string,
  fingerprint: string,
  token: string,
  claimMs: number,
  /** A fingerprint of the same content under an earlier version of its definition, also accepted. */
  previousFingerprint: string,
  /** The provider call this attempt will make, recorded with the claim. */
  call: CallRecord | undefined,
): Promise<ClaimResult> {
  const now = table.options.now();
  const line = table.line(call ? `claimed for call ${call.ref}` : 'claimed');
  try {
    const { Attributes } = await table.documents.send(
      new UpdateCommand({
        TableName: table.options.tableName,
        Key: table.key(jobId),
        ConditionExpression:
          'attribute_not_exists(pk) OR (#status <> :sent AND ' +
          '(#fingerprint = :fingerprint OR #fingerprint = :previous) AND ' +
          '(#status <> :claimed OR #claimExpiresAt < :now))',
        // The history grows by one line here; the holder's next step writes it back trimmed.
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
          ':sent': 'sent',
          ':claimed': 'claimed',
          ':fingerprint': fingerprint,
          ':previous': previousFingerprint,
          ':token': token,
          ':now': now,
          ':expires': now + claimMs,
          ':zero': 0,
          ':one': 1,
          ':empty': [],
          ':entry': [line],
          ':keep': table.keepUntil(),
          ...(call ? { ':call': [call] } : {}),
        },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    const old = Attributes as LedgerEntry | undefined;
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
        jobId,
        token,
        history,
        historyCount,
        ambiguous: ambiguous || old?.ambiguous === true,
        calls: old?.calls ?? [],
        ...(call ? { current: call } : {}),
      },
    };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const current = (error.Item ? toPlain(error) : await table.get(jobId)) as LedgerEntry;
    return refusal(current, [fingerprint, previousFingerprint], now);
  }
}

/** What a refused claim found: the job sent, held by a live claim, or its id used for other content. */
function refusal(
  current: LedgerEntry | undefined,
  fingerprints: readonly string[],
  now: number,
): ClaimResult {
  if (current === undefined) return { kind: 'busy', retryInMs: 1000 };
  if (!fingerprints.includes(current.fingerprint)) return { kind: 'conflict' };
  if (current.status === 'sent') return { kind: 'sent', messageId: current.messageId };
  return { kind: 'busy', retryInMs: Math.max(1000, (current.claimExpiresAt ?? now) - now) };
}

/** The item a failed condition returned, unmarshalled (the document client leaves it raw). */
function toPlain(error: ConditionalCheckFailedException): Record<string, unknown> {
  return unmarshall(error.Item as Parameters<typeof unmarshall>[0]);
}
