import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type DeadLetterIndexItem, deadLetterPartition } from './dead-letter';

/** Which dead letters to list: one queue, optionally a time range and exact filters. */
export interface DeadLetterQuery {
  queue: string;
  /** ISO times, inclusive. */
  since?: string;
  until?: string;
  reasonCode?: string;
  source?: string;
  eventType?: string;
  jobId?: string;
  /** Most items to return (newest first), default 100. */
  limit?: number;
}

const FILTERS = ['reasonCode', 'source', 'eventType', 'jobId'] as const;

/**
 * Lists the dead letters of one queue from the state table's `byQueue` index, newest first, without
 * receiving them from the DLQ (which would hide them from everyone else for a while).
 */
export async function listDeadLetters(
  client: DynamoDBClient,
  tableName: string,
  query: DeadLetterQuery,
): Promise<DeadLetterIndexItem[]> {
  const documents = DynamoDBDocumentClient.from(client);
  const names: Record<string, string> = { '#pk': 'gsi1pk', '#sk': 'gsi1sk' };
  const values: Record<string, unknown> = {
    ':pk': deadLetterPartition(query.queue),
    ':since': query.since ?? '0',
    // The sort key is `<ISO time>#<message id>`: `~` sorts after every character an id uses.
    ':until': `${query.until ?? '9999'}~`,
  };
  const filters: string[] = [];
  for (const name of FILTERS) {
    const value = query[name];
    if (value === undefined) continue;
    names[`#${name}`] = name;
    values[`:${name}`] = value;
    filters.push(`#${name} = :${name}`);
  }
  const limit = query.limit ?? 100;
  const items: DeadLetterIndexItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byQueue',
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :since AND :until',
        FilterExpression: filters.length > 0 ? filters.join(' AND ') : undefined,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((page.Items ?? []) as DeadLetterIndexItem[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
}

/** Removes the index item of a dead letter that left its DLQ (replayed); absent is fine. */
export async function forgetDeadLetter(
  client: DynamoDBClient,
  tableName: string,
  queue: string,
  dlqMessageId: string,
): Promise<void> {
  await DynamoDBDocumentClient.from(client).send(
    new DeleteCommand({
      TableName: tableName,
      Key: { pk: `${deadLetterPartition(queue)}#${dlqMessageId}`, sk: 'dead-letter' },
    }),
  );
}
