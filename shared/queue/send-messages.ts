import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DependencyError } from '../errors';

/** One message to send: its body and string attributes. */
export interface OutgoingMessage {
  queueUrl: string;
  body: string;
  attributes: Readonly<Record<string, string>>;
  /** The job's id, to report beside its queue message id (not sent as such). */
  jobId?: string;
}

/** Where one message went: its queue's URL, the id SQS gave it and its job's id. */
export interface QueuedMessage {
  queueUrl: string;
  messageId: string;
  jobId?: string;
}

/** SQS limits for one SendMessageBatch call. */
const MAX_ENTRIES = 10;

/** Bytes a message counts against the SQS size limit: body plus attribute names, types and values. */
export function messageSize(message: Pick<OutgoingMessage, 'body' | 'attributes'>): number {
  let size = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes)) {
    size += Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value);
  }
  return size;
}

function toAttributes(attributes: Readonly<Record<string, string>>) {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = { DataType: 'String', StringValue: value };
  }
  return result;
}

/** Groups messages per queue into batches within SQS's entry count and payload size limits. */
function toBatches(messages: readonly OutgoingMessage[], maxBatchBytes: number) {
  const batches: { queueUrl: string; entries: SendMessageBatchRequestEntry[]; bytes: number }[] =
    [];
  for (const [index, message] of messages.entries()) {
    const size = messageSize(message);
    let batch = batches.find(
      (b) =>
        b.queueUrl === message.queueUrl &&
        b.entries.length < MAX_ENTRIES &&
        b.bytes + size <= maxBatchBytes,
    );
    if (!batch) {
      batch = { queueUrl: message.queueUrl, entries: [], bytes: 0 };
      batches.push(batch);
    }
    batch.entries.push({
      Id: String(index),
      MessageBody: message.body,
      MessageAttributes: toAttributes(message.attributes),
    });
    batch.bytes += size;
  }
  return batches;
}

/**
 * Sends every message, one SendMessageBatch per queue when they fit, and resolves only when SQS has
 * stored all of them, with the message id of each (in the order given). Any failed entry fails the
 * whole call with a retryable `DependencyError`: the caller answers 503 and the sender's retry
 * re-sends under the same deterministic ids.
 */
export async function sendMessages(
  sqs: SQSClient,
  messages: readonly OutgoingMessage[],
  maxBatchBytes: number,
): Promise<QueuedMessage[]> {
  const batches = toBatches(messages, maxBatchBytes);
  const results = await Promise.allSettled(
    batches.map((batch) =>
      sqs.send(new SendMessageBatchCommand({ QueueUrl: batch.queueUrl, Entries: batch.entries })),
    ),
  );
  for (const result of results) {
    if (result.status === 'rejected') {
      throw new DependencyError('The queue is unavailable', { cause: result.reason });
    }
    const failed = result.value.Failed ?? [];
    if (failed.length > 0) {
      const codes = failed.map((f) => f.Code).join(', ');
      throw new DependencyError('The queue refused a message', { cause: new Error(codes) });
    }
  }
  // Entry ids are the messages' indexes, unique across batches.
  const ids = new Map<string, string>();
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    for (const entry of result.value.Successful ?? []) {
      if (entry.Id !== undefined) ids.set(entry.Id, entry.MessageId ?? '');
    }
  }
  return messages.map((message, index) => ({
    queueUrl: message.queueUrl,
    messageId: ids.get(String(index)) ?? '',
    ...(message.jobId === undefined ? {} : { jobId: message.jobId }),
  }));
}
