import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';

/** Dead-letter index items outlive the DLQ's 14-day retention by a day, then TTL removes them. */
export const DEAD_LETTER_INDEX_SECONDS = 15 * 24 * 3600;

/** Where dead letters go and where they are indexed. */
export interface DeadLetterDeps {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  /** The state table (index `byQueue`). */
  tableName: string;
  now: () => number;
}

/** Why a message is dead-lettered and what it was. */
export interface DeadLetter {
  /** The DLQ's URL; its last path segment names it in the index. */
  dlqUrl: string;
  /** The queue the message belongs to (`connector-suite-prod-email-jobs`), the index's partition. */
  queue: string;
  body: string;
  /** Readable reason; never holds a secret or a body. */
  reason: string;
  /** A short stable category to filter on (`invalid-job`, `provider-406`, `attempts-exhausted`). */
  reasonCode: string;
  attempts: number;
  jobId?: string;
  correlationId?: string;
  source?: string;
  eventType?: string;
  /**
   * Some attempt of the job may have reached the provider without an answer (a replay may deliver
   * it twice): the message carries `ambiguous=true` and its index item `ambiguous: true`.
   */
  ambiguous?: boolean;
  /** Other string attributes to keep on the message (those above win). */
  attributes?: Readonly<Record<string, string>>;
}

/** What {@link sendToDeadLetterQueue} did. */
export interface DeadLetterReceipt {
  messageId: string;
  /** False when the message is in the DLQ but its index item could not be written. */
  indexed: boolean;
  indexError?: unknown;
}

/** The index item of one dead letter, as {@link listDeadLetters} returns it. */
export interface DeadLetterIndexItem {
  queue: string;
  reason: string;
  reasonCode: string;
  source: string;
  eventType: string;
  correlationId?: string;
  jobId?: string;
  attempts: number;
  at: string;
  dlqMessageId: string;
  ambiguous?: boolean;
}

/** The key of the index partition for `queue`. */
export const deadLetterPartition = (queue: string) => `dlq#${queue}`;

function attributesOf(letter: DeadLetter): Record<string, string> {
  const attributes: Record<string, string> = {
    ...(letter.attributes ?? {}),
    reason: letter.reason.slice(0, 1000),
    reasonCode: letter.reasonCode,
    attempts: String(letter.attempts),
    source: letter.source ?? letter.attributes?.source ?? 'api',
    eventType: letter.eventType ?? letter.attributes?.eventType ?? 'unknown',
  };
  const correlationId = letter.correlationId ?? letter.attributes?.correlationId;
  if (correlationId) attributes.correlationId = correlationId;
  if (letter.jobId) attributes.jobId = letter.jobId;
  if (letter.ambiguous) attributes.ambiguous = 'true';
  return attributes;
}

/**
 * Sends a message to its DLQ with `reason`, `attempts`, `source`, `eventType` and `correlationId`
 * attributes, then indexes it in the state table (queue, reason, source, type, time, job id) so it can
 * be listed and filtered without receiving it. Works for a message that was never received (ingest's
 * unfillable template) as for a received one ({@link deadLetterRecord}).
 *
 * The send is what matters: it throws when the DLQ refuses, so the caller keeps the original. A failed
 * index write is reported in the receipt, not thrown, because the dead letter itself is safe.
 */
export async function sendToDeadLetterQueue(
  deps: DeadLetterDeps,
  letter: DeadLetter,
): Promise<DeadLetterReceipt> {
  const attributes = attributesOf(letter);
  const messageAttributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    messageAttributes[name] = { DataType: 'String', StringValue: value };
  }
  const { MessageId } = await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: letter.dlqUrl,
      MessageBody: letter.body,
      MessageAttributes: messageAttributes,
    }),
  );
  const messageId = MessageId ?? `unknown-${deps.now()}`;
  const now = deps.now();
  const at = new Date(now).toISOString();
  const item: DeadLetterIndexItem & Record<string, unknown> = {
    pk: `${deadLetterPartition(letter.queue)}#${messageId}`,
    sk: 'dead-letter',
    gsi1pk: deadLetterPartition(letter.queue),
    gsi1sk: `${at}#${messageId}`,
    queue: letter.queue,
    reason: attributes.reason as string,
    reasonCode: letter.reasonCode,
    source: attributes.source as string,
    eventType: attributes.eventType as string,
    correlationId: attributes.correlationId,
    jobId: letter.jobId,
    attempts: letter.attempts,
    at,
    dlqMessageId: messageId,
    ...(attributes.ambiguous === 'true' ? { ambiguous: true } : {}),
    expiresAt: Math.floor(now / 1000) + DEAD_LETTER_INDEX_SECONDS,
  };
  try {
    const documents = DynamoDBDocumentClient.from(deps.dynamoDb, {
      marshallOptions: { removeUndefinedValues: true },
    });
    await documents.send(new PutCommand({ TableName: deps.tableName, Item: item }));
    return { messageId, indexed: true };
  } catch (indexError) {
    return { messageId, indexed: false, indexError };
  }
}

/** String message attributes of a received SQS record. */
export function recordAttributes(record: SQSRecord): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value.stringValue !== undefined) attributes[name] = value.stringValue;
  }
  return attributes;
}

/** {@link sendToDeadLetterQueue} for a received record: its body and attributes travel as they are. */
export function deadLetterRecord(
  deps: DeadLetterDeps,
  record: SQSRecord,
  letter: Omit<DeadLetter, 'body' | 'attributes'>,
): Promise<DeadLetterReceipt> {
  return sendToDeadLetterQueue(deps, {
    ...letter,
    body: record.body,
    attributes: recordAttributes(record),
  });
}
