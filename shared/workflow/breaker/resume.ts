import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ResumeNote, resumeUpdate } from '../../state/resume';

/**
 * Writes a resume into an engine's breaker item: open becomes half-open at once (the cool-down ends
 * now, any trial lease is dropped). Conditional on the breaker being open (and, with `onlyVersion`,
 * on the refused token version), so a closed breaker is left alone. Used by the consumers and by
 * `npm run resume`.
 */
export async function resumeBreaker(
  target: { documents: DynamoDBDocumentClient; tableName: string; pk: string; now: number },
  note: ResumeNote,
  onlyVersion?: string,
): Promise<boolean> {
  const update = resumeUpdate(note, target.now);
  try {
    await target.documents.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: { pk: target.pk, sk: 'state' },
        ConditionExpression: onlyVersion
          ? '#state = :open AND #tokenVersion = :version'
          : '#state = :open',
        UpdateExpression: `SET #openUntil = :now, ${update.set} ADD ${update.add} REMOVE #leaseUntil, #leaseToken${onlyVersion ? ', #tokenVersion' : ''}`,
        ExpressionAttributeNames: {
          '#state': 'state',
          '#openUntil': 'openUntil',
          '#leaseUntil': 'leaseUntil',
          '#leaseToken': 'leaseToken',
          ...(onlyVersion ? { '#tokenVersion': 'tokenVersion' } : {}),
          ...update.names,
        },
        ExpressionAttributeValues: {
          ':open': 'open',
          ':now': target.now,
          ...(onlyVersion ? { ':version': onlyVersion } : {}),
          ...update.values,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
