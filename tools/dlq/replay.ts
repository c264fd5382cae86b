import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { forgetDeadLetter } from '../../shared/dead-letter/dead-letter-index';
import type { JobLedger } from '../../shared/ledger/job-ledger';
import { mapLimit } from '../../shared/queue/map-limit';
import type { ReplayFilter } from './args';
import { countBy, factsOf, formatCounts, matches, replayAttributes } from './letters';
import { Pacer, ProgressBar, type ProgressStream } from './output/progress';
import { checkBeforeReplay, type ReplayReconciler } from './reconcile';
import { DlqScan, type HeldMessage } from './scan';
import type { DlqQueue } from './target';

/** What a replay needs. */
export interface ReplayDeps {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  tableName: string;
  queue: DlqQueue;
  ledger: Pick<JobLedger, 'resetAttempts' | 'clear' | 'get' | 'recordFound'>;
  /**
   * For the email queue: the provider's search, asked before a job whose calls had an unknown outcome
   * is replayed (none: such jobs are replayed, and the batcher asks before sending).
   */
  reconciler?: ReplayReconciler;
  /** Progress and notes (stderr). */
  progress: ProgressStream;
  /** Asks the operator; only called for `--force` without `--yes`. */
  confirm: (question: string) => Promise<boolean>;
  /** Set once the operator interrupts (Ctrl-C): no new message starts, the rest is released. */
  stopped?: () => boolean;
}

/** How a replay runs. */
export interface ReplayOptions {
  filter: ReplayFilter;
  ratePerSecond: number;
  dryRun: boolean;
  force: boolean;
  yes: boolean;
  visibilitySeconds: number;
}

/** What a replay did (or, dry, would do). */
export interface ReplaySummary {
  scanned: number;
  matched: number;
  /** Sent to the source queue and deleted from the DLQ. */
  replayed: number;
  /** Matches whose job the ledger already has as sent: the consumer absorbs them. */
  alreadySent: number;
  /** Matches marked ambiguous: an attempt may have reached the provider, so it may arrive twice. */
  ambiguous: number;
  /** Ledger records cleared by `--force`. */
  cleared: number;
  /** Ambiguous jobs the provider's search found: recorded sent, removed from the DLQ, not replayed. */
  foundAtProvider: number;
  /** Ambiguous jobs left in the DLQ: a call older than the provider's retention (`--force` sends). */
  refusedTooOld: number;
  failed: number;
  /** Matches left in the DLQ because the operator declined or interrupted. */
  skipped: number;
  bySource: [string, number][];
  byType: [string, number][];
  byReason: [string, number][];
  /** The whole run, scan included. */
  seconds: number;
  /** The sending part alone (after the scan): what `--rate` paces. */
  replaySeconds: number;
}

/**
 * Messages in flight at `rate`: each worker may take up to two seconds a message (five calls on a
 * loaded machine) and the rate still holds; the pacer, not the workers, bounds the rate.
 */
const concurrencyFor = (rate: number) => Math.min(64, Math.max(2, Math.ceil(rate / 2)));

/**
 * Replays the matching dead letters of one DLQ to their source queue. Per message, in this order:
 * reset the job's attempts (or, forced, clear its ledger record), send body and attributes to the
 * source queue, delete from the DLQ, remove the index item. Interrupted anywhere, a message is in the
 * DLQ, in the source queue, or (between send and delete) in both, where the consumer's idempotency
 * absorbs the second copy: nothing is lost, nothing is delivered twice.
 */
export async function replayDeadLetters(
  deps: ReplayDeps,
  options: ReplayOptions,
): Promise<ReplaySummary> {
  const started = Date.now();
  const scan = new DlqScan(deps.sqs, deps.queue.dlqUrl, options.visibilitySeconds);
  try {
    const letters = await scan.receiveAll();
    const chosen = letters.filter((letter) => matches(letter, options.filter));
    const chosenIds = new Set(chosen.map((letter) => letter.messageId));
    await scan.release(letters.filter((l) => !chosenIds.has(l.messageId)).map((l) => l.messageId));
    const facts = chosen.map(factsOf);
    const summary: ReplaySummary = {
      scanned: letters.length,
      matched: chosen.length,
      replayed: 0,
      alreadySent: 0,
      ambiguous: facts.filter((f) => f.ambiguous).length,
      cleared: 0,
      foundAtProvider: 0,
      refusedTooOld: 0,
      failed: 0,
      skipped: 0,
      bySource: countBy(facts, (f) => f.source),
      byType: countBy(facts, (f) => f.eventType),
      byReason: countBy(facts, (f) => f.reasonCode),
      seconds: 0,
      replaySeconds: 0,
    };
    deps.progress.write(
      `scanned ${letters.length} dead letter(s) in ${deps.queue.dlqName}; ${chosen.length} match ` +
        `(reasons: ${formatCounts(summary.byReason)}; sources: ${formatCounts(summary.bySource)})\n`,
    );
    if (options.dryRun) {
      summary.alreadySent = await countAlreadySent(
        deps,
        facts.map((f) => f.jobId),
      );
    } else if (chosen.length > 0 && (await mayGoOn(deps, options, chosen.length))) {
      const replayStarted = Date.now();
      await replayAll(deps, options, scan, chosen, summary);
      summary.replaySeconds = (Date.now() - replayStarted) / 1000;
    } else {
      summary.skipped = chosen.length;
    }
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
  } finally {
    // Whatever was not replayed goes back untouched: dry run, declined, interrupted, failed.
    await scan.close();
  }
}

async function mayGoOn(deps: ReplayDeps, options: ReplayOptions, count: number) {
  if (!options.force || options.yes) return true;
  return deps.confirm(
    `--force clears the idempotency record of up to ${count} job(s) of ${deps.queue.short}: ` +
      'jobs that already succeeded will be sent again. Continue?',
  );
}

async function countAlreadySent(deps: ReplayDeps, jobIds: (string | undefined)[]) {
  const entries = await mapLimit(jobIds, 8, (jobId) =>
    jobId === undefined ? Promise.resolve(undefined) : deps.ledger.get(jobId),
  );
  return entries.filter((entry) => entry?.status === 'sent').length;
}

async function replayAll(
  deps: ReplayDeps,
  options: ReplayOptions,
  scan: DlqScan,
  chosen: HeldMessage[],
  summary: ReplaySummary,
) {
  const bar = new ProgressBar({ stream: deps.progress, total: chosen.length, label: 'replay' });
  const pacer = new Pacer(options.ratePerSecond);
  await mapLimit(chosen, concurrencyFor(options.ratePerSecond), async (letter) => {
    if (deps.stopped?.()) {
      summary.skipped += 1;
      return;
    }
    await pacer.wait();
    try {
      if (await replayOne(deps, options, scan, letter, summary)) summary.replayed += 1;
    } catch (error) {
      summary.failed += 1;
      // The message id and the error only: a body may hold personal data.
      deps.progress.write(
        `\nreplay of ${letter.messageId} from ${deps.queue.dlqName} failed: ${(error as Error).message}\n`,
      );
    }
    bar.tick();
  });
  bar.finish();
}

async function replayOne(
  deps: ReplayDeps,
  options: ReplayOptions,
  scan: DlqScan,
  letter: HeldMessage,
  summary: ReplaySummary,
): Promise<boolean> {
  const { jobId } = factsOf(letter);
  if (jobId !== undefined && deps.reconciler && !options.force) {
    const check = await checkBeforeReplay(deps.reconciler, jobId, await deps.ledger.get(jobId));
    if (check.kind === 'too-old') {
      summary.refusedTooOld += 1;
      deps.progress.write(
        `\n${letter.messageId}: a call of unknown outcome is ${check.days} days old, past the provider's ` +
          'retention: its search cannot prove the job was not sent; left in the DLQ (--force sends it)\n',
      );
      return false;
    }
    if (
      check.kind === 'found' &&
      (await deps.ledger.recordFound(jobId, check.messageId)) === 'done'
    ) {
      summary.foundAtProvider += 1;
      await scan.delete(letter.messageId);
      await forgetDeadLetter(deps.dynamoDb, deps.tableName, deps.queue.name, letter.messageId);
      return false;
    }
  }
  if (jobId !== undefined) {
    if (options.force) {
      await deps.ledger.clear(jobId);
      summary.cleared += 1;
    } else if ((await deps.ledger.resetAttempts(jobId)) === 'sent') {
      summary.alreadySent += 1;
    }
  }
  await deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: deps.queue.url,
      MessageBody: letter.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(replayAttributes(letter)).map(([name, value]) => [
          name,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
  // Only now: were the process to die before this line, the message would still be in the DLQ.
  await scan.delete(letter.messageId);
  await forgetDeadLetter(deps.dynamoDb, deps.tableName, deps.queue.name, letter.messageId);
  return true;
}
