import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { JobLedger } from './job-ledger';
import { LedgerTable } from './ledger-table';
import {
  type ClaimRequest,
  claimedResult,
  claimLine,
  claimUpdate,
  FIRST_CLAIM,
  type LedgerUpdate,
  sentStep,
  stepUpdate,
} from './requests';
import type { CallRecord, ClaimResult, JobLedgerOptions, LedgerHold, StepResult } from './types';

/** DynamoDB's limit on the actions of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/** Settings for {@link BatchedLedger}. */
export interface BatchedLedgerOptions extends JobLedgerOptions {
  /** The one-job ledger on the same table and scope: the path of every job a batch cannot take. */
  ledger: Pick<JobLedger, 'claim' | 'markSent' | 'release'>;
  /** At most this many jobs per transaction (DynamoDB: 100). */
  maxItems?: number;
}

interface Waiting<Request, Result> {
  request: Request;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/**
 * The job ledger for a consumer that claims and marks many jobs at once (the email batcher): claims
 * and `sent` marks asked for in the same turn of the event loop go to DynamoDB together, as one
 * TransactWriteItems of up to 100 updates, instead of one request per job (issue 19: at most 0.2
 * round trips per message sent).
 *
 * Only what can be decided without reading the item is batched, so every result is exactly what the
 * one-job ledger would have answered:
 * - a claim is batched as a *first* claim (the condition: no item yet), whose result needs nothing
 *   from an old item. A job that has an item (sent, held, retried, dead) makes its transaction fail;
 *   the transaction is then sent again without the jobs whose condition failed, and those are claimed
 *   one by one by the one-job ledger, which reads the old item back (`ALL_OLD`) to tell an expired
 *   claim from a live one, a sent job from a conflict.
 * - a `sent` mark carries its holder's token condition; if any fails, every mark of that transaction
 *   is written one by one, so each holder learns `done` or `taken-over` for its own job.
 *
 * Why TransactWriteItems and not PartiQL's BatchExecuteStatement (which the issue suggested): a
 * statement in a batch cannot return the item as it was before, which a claim needs to recognise an
 * expired claim (an ambiguous attempt), and a first claim would need an INSERT beside an UPDATE with
 * the same list_append expressions in PartiQL. A transaction takes the same update expressions as the
 * one-job ledger, names each failed action (its cancellation reasons), and is made idempotent across
 * the SDK's retries by its client request token. It costs two write units per item instead of one.
 *
 * Releases (failures, holds, dead letters) are rare and stay one job at a time.
 */
export class BatchedLedger implements Pick<JobLedger, 'claim' | 'markSent' | 'release'> {
  readonly #table: LedgerTable;
  readonly #options: BatchedLedgerOptions;
  readonly #maxItems: number;
  #claims: Waiting<ClaimRequest, ClaimResult>[] = [];
  #marks: Waiting<{ hold: LedgerHold; messageId: string; note: string }, StepResult>[] = [];
  #scheduled = false;

  constructor(options: BatchedLedgerOptions) {
    this.#options = options;
    this.#maxItems = Math.min(options.maxItems ?? MAX_TRANSACTION_ITEMS, MAX_TRANSACTION_ITEMS);
    this.#table = new LedgerTable(options);
  }

  claim(
    jobId: string,
    fingerprint: string,
    token: string,
    claimMs: number,
    previousFingerprint: string = fingerprint,
    call?: CallRecord,
  ): Promise<ClaimResult> {
    const request: ClaimRequest = { jobId, fingerprint, token, claimMs, previousFingerprint };
    if (call) request.call = call;
    return new Promise((resolve, reject) => {
      this.#claims.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  markSent(hold: LedgerHold, messageId: string, note = `sent ${messageId}`): Promise<StepResult> {
    return new Promise((resolve, reject) => {
      this.#marks.push({ request: { hold, messageId, note }, resolve, reject });
      this.#schedule();
    });
  }

  release(...args: Parameters<JobLedger['release']>): Promise<StepResult> {
    return this.#options.ledger.release(...args);
  }

  /** Everything asked for in this turn goes out together at the next (or now, once a batch is full). */
  #schedule(): void {
    if (this.#claims.length >= this.#maxItems || this.#marks.length >= this.#maxItems) {
      this.#flush();
      return;
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const claims = this.#claims;
    const marks = this.#marks;
    this.#claims = [];
    this.#marks = [];
    for (const chunk of chunksOf(claims, this.#maxItems)) void this.#claimTogether(chunk);
    for (const chunk of chunksOf(marks, this.#maxItems)) void this.#markTogether(chunk);
  }

  async #claimTogether(waiting: Waiting<ClaimRequest, ClaimResult>[]): Promise<void> {
    // Two claims of one job cannot share a transaction: the later ones go one by one.
    const seen = new Set<string>();
    const batch: Waiting<ClaimRequest, ClaimResult>[] = [];
    const alone: Waiting<ClaimRequest, ClaimResult>[] = [];
    for (const entry of waiting) {
      (seen.has(entry.request.jobId) ? alone : batch).push(entry);
      seen.add(entry.request.jobId);
    }
    for (const entry of alone) this.#claimAlone(entry);
    let pending = batch;
    // A second transaction for the jobs whose first claim was not refused; a third failure (a
    // conflict with another writer) leaves them to the one-job ledger too.
    for (let round = 0; round < 2 && pending.length > 0; round += 1) {
      const lines = pending.map((entry) => claimLine(this.#table, entry.request));
      const updates = pending.map((entry, index) =>
        claimUpdate(this.#table, entry.request, lines[index] as string, FIRST_CLAIM),
      );
      const outcome = await this.#transact(updates);
      if (outcome.kind === 'error') {
        for (const entry of pending) entry.reject(outcome.error);
        return;
      }
      if (outcome.kind === 'written') {
        for (const [index, entry] of pending.entries()) {
          entry.resolve(claimedResult(undefined, entry.request, lines[index] as string));
        }
        return;
      }
      const retry: Waiting<ClaimRequest, ClaimResult>[] = [];
      pending.forEach((entry, index) => {
        if (outcome.refused.has(index)) this.#claimAlone(entry);
        else retry.push(entry);
      });
      pending = retry;
    }
    for (const entry of pending) this.#claimAlone(entry);
  }

  #claimAlone({ request, resolve, reject }: Waiting<ClaimRequest, ClaimResult>): void {
    const { jobId, fingerprint, token, claimMs, previousFingerprint, call } = request;
    this.#options.ledger
      .claim(jobId, fingerprint, token, claimMs, previousFingerprint, call)
      .then(resolve, reject);
  }

  async #markTogether(
    waiting: Waiting<{ hold: LedgerHold; messageId: string; note: string }, StepResult>[],
  ): Promise<void> {
    const keys = new Set(waiting.map((entry) => entry.request.hold.jobId));
    const outcome =
      keys.size === waiting.length
        ? await this.#transact(
            waiting.map(({ request }) =>
              stepUpdate(this.#table, sentStep(request.hold, request.messageId, request.note)),
            ),
          )
        : ({ kind: 'refused', refused: new Set<number>() } as const);
    if (outcome.kind === 'written') {
      for (const entry of waiting) entry.resolve('done');
    } else if (outcome.kind === 'error') {
      for (const entry of waiting) entry.reject(outcome.error);
    } else {
      for (const { request, resolve, reject } of waiting) {
        this.#options.ledger
          .markSent(request.hold, request.messageId, request.note)
          .then(resolve, reject);
      }
    }
  }

  /**
   * One TransactWriteItems of `updates`. `refused`: DynamoDB cancelled it, naming (when it says) the
   * actions whose condition failed; nothing of it was written.
   */
  async #transact(
    updates: LedgerUpdate[],
  ): Promise<
    | { kind: 'written' }
    | { kind: 'refused'; refused: Set<number> }
    | { kind: 'error'; error: unknown }
  > {
    try {
      await this.#table.documents.send(
        new TransactWriteCommand({
          TransactItems: updates.map((update) => ({ Update: update })),
          // The SDK may send the request again after a timeout: the token makes a transaction that
          // went through the first time succeed again without being applied twice.
          ClientRequestToken: randomUUID(),
        }),
      );
      return { kind: 'written' };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) return { kind: 'error', error };
      const reasons = error.CancellationReasons ?? [];
      const refused = new Set<number>();
      updates.forEach((_, index) => {
        const code = reasons[index]?.Code;
        // No reason given: this action cannot be told apart, so it is left to the one-job ledger.
        if (code === undefined || code !== 'None') refused.add(index);
      });
      return { kind: 'refused', refused };
    }
  }
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    chunks.push(items.slice(start, start + size));
  }
  return chunks;
}
