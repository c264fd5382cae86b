import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Where a job stands. `claimed`: a consumer is calling the provider for it now (until the claim
 * expires); `unknown`: a call for it ended without an answer, so the provider may have it; `retry`:
 * it failed and waits; `sent`; `dead`: it went to the DLQ (a replayed dead letter may claim it again).
 */
export type JobStatus = 'claimed' | 'unknown' | 'retry' | 'sent' | 'dead';

/** The retry state kept for one job. */
export interface LedgerEntry {
  status: JobStatus;
  fingerprint: string;
  attempts: number;
  claimToken?: string;
  claimExpiresAt?: number;
  messageId?: string;
  lastError?: string;
  history?: string[];
}

/** What a claim found. */
export type ClaimResult =
  /** Ours to send. `ambiguous`: an earlier call for it may have reached the provider. */
  | { kind: 'claimed'; attempts: number; ambiguous: boolean; history: string[] }
  | { kind: 'sent'; messageId?: string }
  | { kind: 'busy'; retryInMs: number }
  | { kind: 'conflict' };

/** Settings for {@link JobLedger}. */
export interface JobLedgerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Names the consumer, so two consumers' jobs never share items (`email`, `workflow`). */
  scope: string;
  /** How long items are kept; at least the DLQ's retention (14 days). */
  keepSeconds: number;
  now: () => number;
}

/** History lines handed back with a claim (the item keeps them all; attempts bound their number). */
const HISTORY_LIMIT = 20;

/**
 * One DynamoDB item per job: status, attempts, last error and history. A job is claimed by a
 * conditional write before the provider call, and the old item comes back (`ALL_OLD`), so a claim that
 * expired while its holder was calling is recognised as an ambiguous attempt rather than overwritten
 * silently, which is what Powertools Idempotency would do.
 */
export class JobLedger {
  readonly #documents: DynamoDBDocumentClient;
  readonly #options: JobLedgerOptions;

  constructor(options: JobLedgerOptions) {
    this.#options = options;
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }

  #key(jobId: string) {
    return { pk: `job#${this.#options.scope}#${jobId}`, sk: 'ledger' };
  }

  #entry(note: string): string[] {
    return [`${new Date(this.#options.now()).toISOString()} ${note}`.slice(0, 300)];
  }

  /**
   * Claims `jobId` for `claimMs` and counts one attempt, unless it was sent, another consumer holds a
   * live claim, or the id was first used for different content (`conflict`).
   */
  async claim(
    jobId: string,
    fingerprint: string,
    token: string,
    claimMs: number,
    /** A fingerprint of the same content under an earlier version of its definition, also accepted. */
    previousFingerprint: string = fingerprint,
  ): Promise<ClaimResult> {
    const now = this.#options.now();
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: this.#key(jobId),
          ConditionExpression:
            'attribute_not_exists(pk) OR (#status <> :sent AND ' +
            '(#fingerprint = :fingerprint OR #fingerprint = :previous) AND ' +
            '(#status <> :claimed OR #claimExpiresAt < :now))',
          UpdateExpression:
            'SET #status = :claimed, #fingerprint = :fingerprint, #claimToken = :token, ' +
            '#claimExpiresAt = :expires, #attempts = if_not_exists(#attempts, :zero) + :one, ' +
            '#history = list_append(if_not_exists(#history, :empty), :entry), #expiresAt = :keep',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#fingerprint': 'fingerprint',
            '#claimToken': 'claimToken',
            '#claimExpiresAt': 'claimExpiresAt',
            '#attempts': 'attempts',
            '#history': 'history',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':claimed': 'claimed',
            ':fingerprint': fingerprint,
            ':previous': previousFingerprint,
            ':token': token,
            ':now': now,
            ':expires': now + claimMs,
            ':zero': 0,
            ':one': 1,
            ':empty': [],
            ':entry': this.#entry('claimed'),
            ':keep': Math.floor(now / 1000) + this.#options.keepSeconds,
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const old = Attributes as LedgerEntry | undefined;
      // An earlier holder's claim ran out, or its call ended without an answer: the provider may
      // already have this message, and Postmark takes no idempotency key.
      const ambiguous = old?.status === 'claimed' || old?.status === 'unknown';
      return {
        kind: 'claimed',
        attempts: (old?.attempts ?? 0) + 1,
        ambiguous,
        history: [...(old?.history ?? []), ...this.#entry('claimed')].slice(-HISTORY_LIMIT),
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = (error.Item ? toPlain(error) : await this.get(jobId)) as LedgerEntry;
      return this.#refusal(current, [fingerprint, previousFingerprint], now);
    }
  }

  #refusal(
    current: LedgerEntry | undefined,
    fingerprints: readonly string[],
    now: number,
  ): ClaimResult {
    if (current === undefined) return { kind: 'busy', retryInMs: 1000 };
    if (!fingerprints.includes(current.fingerprint)) return { kind: 'conflict' };
    if (current.status === 'sent') return { kind: 'sent', messageId: current.messageId };
    return { kind: 'busy', retryInMs: Math.max(1000, (current.claimExpiresAt ?? now) - now) };
  }

  /** The job's item, read consistently. */
  async get(jobId: string): Promise<LedgerEntry | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: this.#key(jobId),
        ConsistentRead: true,
      }),
    );
    return Item as LedgerEntry | undefined;
  }

  /** Records the provider's acceptance; from now on the job is acknowledged without a call. */
  async markSent(jobId: string, messageId: string): Promise<void> {
    await this.#update(jobId, 'sent', `sent ${messageId}`, {
      set: { messageId },
      remove: ['claimToken', 'claimExpiresAt'],
    });
  }

  /**
   * Releases the claim after a failed call. `unknown`: the call may have reached the provider.
   * `refundAttempt`: the failure was not the job's (a paused provider, an empty rate limit).
   */
  async release(
    jobId: string,
    status: 'retry' | 'unknown' | 'dead',
    error: string,
    refundAttempt = false,
  ): Promise<void> {
    await this.#update(jobId, status, `${status}: ${error}`, {
      set: { lastError: error.slice(0, 500) },
      remove: ['claimToken', 'claimExpiresAt'],
      refundAttempt,
    });
  }

  /**
   * Before a dead letter of the job is replayed: its attempts go back to 0, so the consumer tries it
   * afresh instead of dead-lettering it again at once. A `sent` job is left as it is (the replay is
   * absorbed without a call), and a job never claimed has no item to reset.
   */
  async resetAttempts(jobId: string): Promise<'reset' | 'sent' | 'absent'> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: this.#key(jobId),
          ConditionExpression: 'attribute_exists(pk) AND #status <> :sent',
          UpdateExpression:
            'SET #attempts = :zero, #history = list_append(if_not_exists(#history, :empty), :entry)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#attempts': 'attempts',
            '#history': 'history',
          },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':zero': 0,
            ':empty': [],
            ':entry': this.#entry('replayed from the DLQ: attempts reset'),
          },
        }),
      );
      return 'reset';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.get(jobId)) === undefined ? 'absent' : 'sent';
    }
  }

  /** Forgets the job (a forced replay): its next delivery is sent to the provider again. */
  async clear(jobId: string): Promise<void> {
    await this.#documents.send(
      new DeleteCommand({ TableName: this.#options.tableName, Key: this.#key(jobId) }),
    );
  }

  async #update(
    jobId: string,
    status: JobStatus,
    note: string,
    change: { set: Record<string, string>; remove: string[]; refundAttempt?: boolean },
  ): Promise<void> {
    const names: Record<string, string> = { '#status': 'status', '#history': 'history' };
    const values: Record<string, unknown> = {
      ':status': status,
      ':entry': this.#entry(note),
      ':empty': [],
    };
    const sets = [
      '#status = :status',
      '#history = list_append(if_not_exists(#history, :empty), :entry)',
    ];
    for (const [name, value] of Object.entries(change.set)) {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    if (change.refundAttempt) {
      names['#attempts'] = 'attempts';
      values[':one'] = 1;
      sets.push('#attempts = #attempts - :one');
    }
    for (const name of change.remove) names[`#${name}`] = name;
    const remove = change.remove.map((name) => `#${name}`).join(', ');
    await this.#documents.send(
      new UpdateCommand({
        TableName: this.#options.tableName,
        Key: this.#key(jobId),
        UpdateExpression: `SET ${sets.join(', ')}${remove ? ` REMOVE ${remove}` : ''}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }
}

/** The item a failed condition returned, unmarshalled (the document client leaves it raw). */
function toPlain(error: ConditionalCheckFailedException): Record<string, unknown> {
  return unmarshall(error.Item as Parameters<typeof unmarshall>[0]);
}
