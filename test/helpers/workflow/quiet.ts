import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { JobLedger } from '../../../shared/ledger/job-ledger';
import type { JobStatus } from '../../../shared/ledger/types';
import { tableName } from '../stack/local-stack';
import { waitFor } from '../wait';

/** Ledger statuses after which nothing more happens to a job. */
const TERMINAL: ReadonlySet<JobStatus> = new Set(['sent', 'dead']);

/** Every message a queue holds: visible, in flight (not visible) and delayed. */
export async function messagesHeld(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return Object.values(Attributes).reduce((sum, value) => sum + Number(value), 0);
}

/** What "quiet" means for one run. */
export interface QuietOptions {
  sqs: SQSClient;
  /** Queues that must hold nothing, counting delayed and in-flight messages. */
  queueUrls: readonly string[];
  /** Jobs whose ledger entries must be terminal (`sent` or `dead`), with the ledger's client. */
  ledger?: { dynamoDb: DynamoDBClient; scope: 'email' | 'workflow'; jobIds: readonly string[] };
  timeoutMs?: number;
}

/**
 * Waits until the system has nothing left to do: every queue empty (a deferred retry or a duplicate
 * still in flight is a message delayed or not visible) and every listed job's ledger entry terminal.
 * A test that must show something did NOT happen waits for this, never for a fixed time: once quiet,
 * nothing is left that could still make it happen. Throws on timeout, naming what was still busy.
 */
export async function waitForQuiet(what: string, options: QuietOptions): Promise<void> {
  const ledger = options.ledger
    ? new JobLedger({
        client: options.ledger.dynamoDb,
        tableName: tableName('state'),
        scope: options.ledger.scope,
        keepSeconds: 600,
        now: Date.now,
      })
    : undefined;
  let busy = '';
  try {
    await waitFor(
      `${what} to be quiet`,
      async () => {
        for (const url of options.queueUrls) {
          const held = await messagesHeld(options.sqs, url);
          if (held > 0) {
            busy = `${held} message(s) still in ${url}`;
            return false;
          }
        }
        for (const jobId of options.ledger?.jobIds ?? []) {
          const status = (await ledger?.get(jobId))?.status;
          if (!status || !TERMINAL.has(status)) {
            busy = `job ${jobId} is ${status ?? 'not in the ledger'}`;
            return false;
          }
        }
        return true;
      },
      options.timeoutMs ?? 30_000,
      250,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last seen: ${busy})`);
  }
}
