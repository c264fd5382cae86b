import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { LedgerTable } from './ledger-table';

// The steps a DLQ replay takes on a job's item, outside any claim: record a dead job found at the
// provider, reset its attempts before its dead letter is replayed, or forget it (a forced replay).

/** A dead-lettered job a replay found at the provider: recorded sent (see `JobLedger.recordFound`). */
export async function recordFound(
  table: LedgerTable,
  jobId: string,
  messageId: string,
): Promise<'done' | 'not-dead'> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.options.tableName,
        Key: table.key(jobId),
        ConditionExpression: '#status = :dead',
        UpdateExpression:
          'SET #status = :sent, #messageId = :messageId, #expiresAt = :keep, ' +
          '#history = list_append(if_not_exists(#history, :empty), :entry), ' +
          '#historyCount = if_not_exists(#historyCount, :zero) + :one REMOVE #calls',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#messageId': 'messageId',
          '#expiresAt': 'expiresAt',
          '#history': 'history',
          '#historyCount': 'historyCount',
          '#calls': 'calls',
        },
        ExpressionAttributeValues: {
          ':dead': 'dead',
          ':sent': 'sent',
          ':messageId': messageId,
          ':keep': table.keepUntil(),
          ':empty': [],
          ':zero': 0,
          ':one': 1,
          ':entry': [table.line(`found at the provider by a replay: sent ${messageId}`)],
        },
      }),
    );
    return 'done';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'not-dead';
    throw error;
  }
}

/** Before a dead letter of the job is replayed: attempts back to 0 (see `JobLedger.resetAttempts`). */
export async function resetAttempts(
  table: LedgerTable,
  jobId: string,
): Promise<'reset' | 'sent' | 'absent'> {
  try {
    await table.documents.send(
      new UpdateCommand({
        TableName: table.options.tableName,
        Key: table.key(jobId),
        ConditionExpression: 'attribute_exists(pk) AND #status <> :sent',
        UpdateExpression:
          'SET #attempts = :zero, #history = list_append(if_not_exists(#history, :empty), :entry), ' +
          '#historyCount = if_not_exists(#historyCount, :zero) + :one',
        ExpressionAttributeNames: {
          '#status': 'status',
          '#attempts': 'attempts',
          '#history': 'history',
          '#historyCount': 'historyCount',
        },
        ExpressionAttributeValues: {
          ':sent': 'sent',
          ':zero': 0,
          ':one': 1,
          ':empty': [],
          ':entry': [table.line('replayed from the DLQ: attempts reset')],
        },
      }),
    );
    return 'reset';
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    return (await table.get(jobId)) === undefined ? 'absent' : 'sent';
  }
}

/** Forgets the job (a forced replay): its next delivery is sent to the provider again. */
export async function clearJob(table: LedgerTable, jobId: string): Promise<void> {
  await table.documents.send(
    new DeleteCommand({ TableName: table.options.tableName, Key: table.key(jobId) }),
  );
}
