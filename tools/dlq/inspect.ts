import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { DeadLetterIndexItem } from '../../shared/dead-letter/dead-letter';
import { listDeadLetters } from '../../shared/dead-letter/dead-letter-index';
import { showHistory } from '../../shared/ledger/history';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { mapLimit } from '../../shared/queue/map-limit';
import { countBy } from './letters';
import { redact } from './output/redact';
import type { DlqQueue, Target } from './target';

/** Every index item of a partition: the index is small (DLQ retention), and counts must be whole. */
const ALL = Number.MAX_SAFE_INTEGER;

/** One DLQ as `list` reports it. */
export interface DlqCounts {
  queue: string;
  dlq: string;
  /** The DLQ's own count (visible and in flight): SQS's approximation. */
  inQueue: number;
  inFlight: number;
  indexed: number;
  /** `inQueue - indexed`: moved by the queue's redrive (never indexed), or index writes that failed. */
  unindexed: number;
  oldest?: string;
  newest?: string;
  byReason: [string, number][];
  bySource: [string, number][];
  byType: [string, number][];
}

/** Counts one DLQ from the index and from SQS, without receiving a message. */
export async function countDeadLetters(target: Target, queue: DlqQueue): Promise<DlqCounts> {
  const [items, { Attributes = {} }] = await Promise.all([
    listDeadLetters(target.dynamoDb, target.tableName, { queue: queue.name, limit: ALL }),
    target.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queue.dlqUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    ),
  ]);
  const visible = Number(Attributes.ApproximateNumberOfMessages ?? 0);
  const inFlight = Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  const times = items.map((item) => item.at).sort();
  return {
    queue: queue.short,
    dlq: queue.dlqName,
    inQueue: visible + inFlight,
    inFlight,
    indexed: items.length,
    unindexed: visible + inFlight - items.length,
    oldest: times[0],
    newest: times.at(-1),
    byReason: countBy(items, (item) => item.reasonCode),
    bySource: countBy(items, (item) => item.source),
    byType: countBy(items, (item) => item.eventType),
  };
}

/** A dead letter as `show` prints it: index facts and the job's ledger, secrets redacted. */
export interface ShownLetter extends Omit<DeadLetterIndexItem, 'queue'> {
  ledger?: { status: string; attempts: number; lastError?: string; history: string[] };
}

/** The newest `limit` dead letters of a queue with their jobs' attempt history. */
export async function showDeadLetters(
  target: Target,
  queue: DlqQueue,
  limit: number,
): Promise<ShownLetter[]> {
  const items = await listDeadLetters(target.dynamoDb, target.tableName, {
    queue: queue.name,
    limit,
  });
  const ledger = new JobLedger({
    client: target.dynamoDb,
    tableName: target.tableName,
    scope: queue.scope,
    keepSeconds: 0,
    now: Date.now,
  });
  return mapLimit(items, 8, async ({ queue: _queue, ...item }) => {
    const shown: ShownLetter = { ...item, reason: redact(item.reason) };
    const entry = item.jobId ? await ledger.get(item.jobId) : undefined;
    if (entry) {
      shown.ledger = {
        status: entry.status,
        attempts: entry.attempts,
        lastError: entry.lastError === undefined ? undefined : redact(entry.lastError),
        history: showHistory(entry.history ?? [], entry.historyCount).map(redact),
      };
    }
    return shown;
  });
}
