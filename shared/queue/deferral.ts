import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { recordAttributes } from '../dead-letter/dead-letter';

/** SQS's longest message delay. */
export const MAX_DELAY_SECONDS = 900;

/** A record to put back on its queue for later, and its attempt count so far. */
export interface Deferral {
  record: SQSRecord;
  delaySeconds: number;
  attempts: number;
  /** More string attributes to set on the re-sent message (a consumer's own bookkeeping). */
  attributes?: Readonly<Record<string, string>>;
}

/**
 * Exponential backoff with full jitter (a random delay up to `base * 2^(attempt-1)`, capped), and never
 * sooner than the provider's `Retry-After`. At least one second, at most SQS's 900.
 */
export function backoffSeconds(
  attempt: number,
  settings: { baseSeconds: number; maxSeconds: number },
  random: () => number,
  retryAfter?: number,
): number {
  const ceiling = Math.min(
    settings.maxSeconds,
    settings.baseSeconds * 2 ** Math.max(0, attempt - 1),
  );
  const jittered = Math.ceil(random() * ceiling);
  return clampDelay(Math.max(jittered, retryAfter ?? 0));
}

/** A delay SQS accepts: whole seconds from 1 to 900. */
export function clampDelay(seconds: number): number {
  return Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/**
 * Re-sends each record's body and attributes to `queueUrl` with its delay and an `attempts`
 * attribute, so waiting never spends the queue's receive budget (the original is acknowledged by the
 * caller). Resolves to the message ids that could not be re-sent: those must be reported as failures,
 * so SQS redelivers them instead.
 */
export async function deferRecords(
  sqs: SQSClient,
  queueUrl: string,
  deferrals: readonly Deferral[],
): Promise<Set<string>> {
  const failed = new Set<string>();
  const chunks: Deferral[][] = [];
  for (let start = 0; start < deferrals.length; start += 10) {
    chunks.push(deferrals.slice(start, start + 10));
  }
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        const { Failed = [] } = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((deferral, index) => ({
              Id: String(index),
              MessageBody: deferral.record.body,
              DelaySeconds: clampDelay(deferral.delaySeconds),
              MessageAttributes: toAttributes({
                ...recordAttributes(deferral.record),
                ...deferral.attributes,
                attempts: String(deferral.attempts),
              }),
            })),
          }),
        );
        for (const failure of Failed) {
          const deferral = chunk[Number(failure.Id)];
          if (deferral) failed.add(deferral.record.messageId);
        }
      } catch {
        for (const deferral of chunk) failed.add(deferral.record.messageId);
      }
    }),
  );
  return failed;
}

function toAttributes(attributes: Record<string, string>): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = { DataType: 'String', StringValue: value };
  }
  return result;
}
