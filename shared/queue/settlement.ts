import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { DeadLetterReceipt } from '../dead-letter/dead-letter';
import type { Deferral } from './deferral';
import { mapLimit } from './map-limit';

/** Why a record goes to the DLQ. */
export interface DeadLetterNote {
  reason: string;
  reasonCode: string;
  attempts: number;
  jobId?: string;
  correlationId: string;
  /** Some attempt of the job may have reached the provider without an answer. */
  ambiguous?: boolean;
}

/** What settling a batch needs. */
export interface SettlementDeps {
  deadLetter: (record: SQSRecord, note: DeadLetterNote) => Promise<DeadLetterReceipt>;
  defer: (deferrals: Deferral[]) => Promise<Set<string>>;
  onIndexFailure: (record: SQSRecord, error: unknown) => void;
}

/**
 * Collects what happens to each record of one invocation and carries it out at the end: dead letters,
 * deferrals (re-sent with a delay, original acknowledged), and the records SQS must deliver again
 * (`batchItemFailures`): a record is only acknowledged once its job is sent, dead-lettered or
 * re-enqueued.
 */
export class Settlement {
  readonly #deps: SettlementDeps;
  readonly #failures = new Set<string>();
  readonly #deferrals: Deferral[] = [];
  readonly #deadLetters: { record: SQSRecord; note: DeadLetterNote }[] = [];

  constructor(deps: SettlementDeps) {
    this.#deps = deps;
  }

  /** SQS delivers this record again after its visibility timeout (the redrive backstop). */
  fail(record: SQSRecord): void {
    this.#failures.add(record.messageId);
  }

  defer(deferral: Deferral): void {
    this.#deferrals.push(deferral);
  }

  deadLetter(record: SQSRecord, note: DeadLetterNote): void {
    this.#deadLetters.push({ record, note });
  }

  /** Sends dead letters and deferrals; a record whose send failed is left for SQS to redeliver. */
  async finish(): Promise<SQSBatchResponse> {
    await mapLimit(this.#deadLetters, 10, async ({ record, note }) => {
      try {
        const receipt = await this.#deps.deadLetter(record, note);
        if (!receipt.indexed) this.#deps.onIndexFailure(record, receipt.indexError);
      } catch {
        this.fail(record);
      }
    });
    const notDeferred = await this.#deps.defer(this.#deferrals);
    for (const messageId of notDeferred) this.#failures.add(messageId);
    return { batchItemFailures: [...this.#failures].map((itemIdentifier) => ({ itemIdentifier })) };
  }
}

/** The attempt count a record carries from earlier deferrals (0 for a fresh job). */
export function attemptsOf(record: SQSRecord): number {
  const value = Number(record.messageAttributes?.attempts?.stringValue ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}
