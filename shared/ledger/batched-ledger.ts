import { claimJob } from './claim';
import { writeStep } from './holder-steps';
import type { JobLedger } from './job-ledger';
import { LedgerTable } from './ledger-table';
import {
  type ClaimCondition,
  type ClaimRequest,
  claimedResult,
  claimLine,
  claimRefusal,
  claimUpdate,
  releaseStep,
  type StepRequest,
  sentStep,
  stepUpdate,
} from './requests';
import { chunksOf, oncePerJob, transactUpdates } from './transaction';
import type { ClaimResult, JobLedgerOptions, LedgerEntry, StepResult } from './types';

/** DynamoDB's limit on the actions of one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * Transactions one batch of claims or steps may take before what is left goes one job at a time: a
 * first try, one for the jobs whose items it returned, one more for a conflict with another writer.
 */
const MAX_ROUNDS = 3;

interface Waiting<Request, Result> {
  request: Request;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

/** A claim on its way: the condition its next transaction puts on the job's item. */
interface PendingClaim extends Waiting<ClaimRequest, ClaimResult> {
  condition: ClaimCondition;
  /** The item as a cancelled transaction returned it: the claim's result is built from it. */
  old?: LedgerEntry;
}

/**
 * The job ledger for a consumer that claims and settles many jobs at once (the email batcher): the
 * claims, `sent` marks and releases asked for in the same turn of the event loop go to DynamoDB
 * together, as one TransactWriteItems of up to 100 updates, instead of one request per job (issue 19:
 * at most 0.2 round trips per message sent). Every job gets exactly the answer the one-job ledger
 * (claim.ts, holder-steps.ts) gives it, and the same item:
 *
 * - A claim goes first as a *first* claim (condition: no item yet). A job that has an item makes
 *   DynamoDB cancel the transaction, naming it and returning its item (`ALL_OLD`). The claim is then
 *   decided from that item as the one-job claim decides it: sent, busy (a live claim) or conflict
 *   (other content) is answered at once; otherwise the job goes into the next transaction with the
 *   full claim condition *and* its item's `historyCount` pinned (every ledger write moves it on), so
 *   the result built from the returned item (attempts, ambiguity, calls to reconcile) is the truth.
 *   The jobs of a cancelled transaction that were not refused go again as they were.
 * - A step (sent, released, held, dead) carries its holder's token condition as in the one-job
 *   ledger; a step DynamoDB names as refused was taken over, the others go again.
 * - After {@link MAX_ROUNDS} transactions, or when DynamoDB gives no reason, what is left goes one
 *   job at a time through the one-job ledger. An error other than a cancellation (DynamoDB
 *   unreachable, throttled past the SDK's retries) rejects every claim or step of the transaction,
 *   as the one-job ledger's request would have failed.
 *
 * Why TransactWriteItems and not PartiQL's BatchExecuteStatement (which the issue suggested): a
 * statement in a batch cannot return the item as it was before a successful write, which the claim
 * needs to recognise an expired claim, and a first claim would need an INSERT beside an UPDATE with
 * the same list_append expressions in PartiQL. A transaction takes the update expressions of the
 * one-job ledger unchanged, returns each refused item, and its client request token makes the SDK's
 * retries of it idempotent. It costs two write units per item instead of one; IAM authorises each of
 * its updates as `dynamodb:UpdateItem`, which the consumers already have.
 */
export class BatchedLedger implements Pick<JobLedger, 'claim' | 'markSent' | 'release'> {
  readonly #table: LedgerTable;
  #claims: PendingClaim[] = [];
  #steps: Waiting<StepRequest, StepResult>[] = [];
  #scheduled = false;

  constructor(options: JobLedgerOptions) {
    this.#table = new LedgerTable(options);
  }

  /** As `JobLedger.claim`, batched. */
  claim(
    ...[jobId, fingerprint, token, claimMs, previousFingerprint = fingerprint, call]: Parameters<
      JobLedger['claim']
    >
  ): Promise<ClaimResult> {
    const request: ClaimRequest = { jobId, fingerprint, token, claimMs, previousFingerprint };
    if (call) request.call = call;
    return new Promise((resolve, reject) => {
      this.#claims.push({ request, resolve, reject, condition: { kind: 'first' } });
      this.#schedule();
    });
  }

  /** As `JobLedger.markSent`, batched. */
  markSent(
    ...[hold, messageId, note = `sent ${messageId}`]: Parameters<JobLedger['markSent']>
  ): Promise<StepResult> {
    return this.#step(sentStep(hold, messageId, note));
  }

  /** As `JobLedger.release`, batched. */
  release(
    ...[
      hold,
      status,
      error,
      refundAttempt = false,
      currentMaybeSent = status === 'unknown',
    ]: Parameters<JobLedger['release']>
  ): Promise<StepResult> {
    return this.#step(
      releaseStep(this.#table, hold, status, error, refundAttempt, currentMaybeSent),
    );
  }

  #step(request: StepRequest): Promise<StepResult> {
    return new Promise((resolve, reject) => {
      this.#steps.push({ request, resolve, reject });
      this.#schedule();
    });
  }

  /** Everything asked for in this turn goes out together at the next (or now, once a batch is full). */
  #schedule(): void {
    if (
      this.#claims.length >= MAX_TRANSACTION_ITEMS ||
      this.#steps.length >= MAX_TRANSACTION_ITEMS
    ) {
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
    const steps = this.#steps;
    this.#claims = [];
    this.#steps = [];
    // Whatever goes wrong in a batch, every claim and step of it is answered: a caller never waits
    // on a promise nothing will settle (settling one already settled does nothing).
    for (const chunk of chunksOf(claims, MAX_TRANSACTION_ITEMS)) {
      this.#claimTogether(chunk).catch((error) => rejectAll(chunk, error));
    }
    for (const chunk of chunksOf(steps, MAX_TRANSACTION_ITEMS)) {
      this.#stepTogether(chunk).catch((error) => rejectAll(chunk, error));
    }
  }

  async #claimTogether(waiting: PendingClaim[]): Promise<void> {
    const { batch, alone } = oncePerJob(waiting, (entry) => entry.request.jobId);
    for (const entry of alone) this.#claimAlone(entry);
    let pending = batch;
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round += 1) {
      const lines = pending.map((entry) => claimLine(this.#table, entry.request));
      const outcome = await transactUpdates(
        this.#table,
        pending.map((entry, index) =>
          claimUpdate(this.#table, entry.request, lines[index] as string, entry.condition),
        ),
      );
      if (outcome.kind === 'error') {
        for (const entry of pending) entry.reject(outcome.error);
        return;
      }
      if (outcome.kind === 'written') {
        for (const [index, entry] of pending.entries()) {
          entry.resolve(claimedResult(entry.old, entry.request, lines[index] as string));
        }
        return;
      }
      const now = this.#table.options.now();
      const next: PendingClaim[] = [];
      for (const [index, entry] of pending.entries()) {
        const { code, item } = outcome.reasons[index] ?? {};
        if (code === 'None') {
          next.push(entry);
        } else if (code === 'ConditionalCheckFailed' && item !== undefined) {
          const { fingerprint, previousFingerprint } = entry.request;
          const refusal = claimRefusal(item, [fingerprint, previousFingerprint], now);
          if (refusal) entry.resolve(refusal);
          else {
            next.push({
              ...entry,
              condition: { kind: 'pinned', historyCount: item.historyCount },
              old: item,
            });
          }
        } else {
          this.#claimAlone(entry);
        }
      }
      pending = next;
    }
    for (const entry of pending) this.#claimAlone(entry);
  }

  #claimAlone({ request, resolve, reject }: Waiting<ClaimRequest, ClaimResult>): void {
    const { jobId, fingerprint, token, claimMs, previousFingerprint, call } = request;
    claimJob(this.#table, jobId, fingerprint, token, claimMs, previousFingerprint, call).then(
      resolve,
      reject,
    );
  }

  async #stepTogether(waiting: Waiting<StepRequest, StepResult>[]): Promise<void> {
    const { batch, alone } = oncePerJob(waiting, (entry) => entry.request.hold.jobId);
    for (const entry of alone) this.#stepAlone(entry);
    let pending = batch;
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round += 1) {
      const outcome = await transactUpdates(
        this.#table,
        pending.map((entry) => stepUpdate(this.#table, entry.request)),
      );
      if (outcome.kind === 'error') {
        for (const entry of pending) entry.reject(outcome.error);
        return;
      }
      if (outcome.kind === 'written') {
        for (const entry of pending) entry.resolve('done');
        return;
      }
      const next: Waiting<StepRequest, StepResult>[] = [];
      for (const [index, entry] of pending.entries()) {
        const code = outcome.reasons[index]?.code;
        // The step's only condition is the holder's token: refused, the claim was taken over.
        if (code === 'ConditionalCheckFailed') entry.resolve('taken-over');
        else if (code === 'None') next.push(entry);
        else this.#stepAlone(entry);
      }
      pending = next;
    }
    for (const entry of pending) this.#stepAlone(entry);
  }

  #stepAlone({ request, resolve, reject }: Waiting<StepRequest, StepResult>): void {
    writeStep(this.#table, request).then(resolve, reject);
  }
}

function rejectAll(entries: readonly { reject: (error: unknown) => void }[], error: unknown): void {
  for (const entry of entries) entry.reject(error);
}
