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

/**
 * A provider call a job went out in whose outcome is unknown (or not yet known): its reference (carried
 * by every message of the call, so the provider can be asked what it took), when it was prepared
 * (written with the claim, before the request leaves) and, once it ended without an answer, when.
 */
export interface CallRecord {
  ref: string;
  at: number;
  endedAt?: number;
}

/** The retry state kept for one job. */
export interface LedgerEntry {
  status: JobStatus;
  fingerprint: string;
  attempts: number;
  claimToken?: string;
  claimExpiresAt?: number;
  messageId?: string;
  lastError?: string;
  /** The first {@link HISTORY_ENDS} and last {@link HISTORY_ENDS} lines of the job's history. */
  history?: string[];
  /** Every history line ever written, the ones left out of `history` included. */
  historyCount?: number;
  /** An attempt of the job may have reached the provider without an answer (sticky). */
  ambiguous?: boolean;
  /**
   * Calls the job went out in whose outcome is unknown, to be reconciled with the provider before it
   * is sent again; while a holder has the job, its own call is the last one.
   */
  calls?: CallRecord[];
  /** When DynamoDB's TTL may remove the item (epoch seconds). */
  expiresAt?: number;
}

/**
 * What a claim hands its holder: every later step of the attempt names it, and is written only while
 * the item still carries its token, so a holder whose claim expired and was taken over by another
 * consumer cannot overwrite the newer holder's state.
 */
export interface LedgerHold {
  jobId: string;
  token: string;
  /** The item's history after the claim (ends kept), and how many lines it has had in all. */
  history: string[];
  historyCount: number;
  /** Some attempt of the job, this one's predecessors, may have reached the provider. */
  ambiguous: boolean;
  /** Earlier calls of the job whose outcome is unknown: to reconcile before sending again. */
  calls: CallRecord[];
  /** This attempt's call, recorded with the claim (none for consumers that do not record calls). */
  current?: CallRecord;
}

/** What a step after the claim came to: written, or refused because the claim is someone else's. */
export type StepResult = 'done' | 'taken-over';

/** What a claim found. */
export type ClaimResult =
  /** Ours to send. `ambiguous`: an earlier call for it may have reached the provider. */
  | {
      kind: 'claimed';
      attempts: number;
      ambiguous: boolean;
      /** The previous holder's claim ran out before it recorded an outcome (it died, or hung). */
      abandoned?: boolean;
      /** The history to show (ends kept, with a line saying how many were left out between). */
      history: string[];
      hold: LedgerHold;
    }
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

/** History lines kept at each end of a job's history; the lines between are only counted. */
export const HISTORY_ENDS = 10;

/** `lines` with only its first and last {@link HISTORY_ENDS} kept. */
export function keepHistoryEnds(lines: readonly string[]): string[] {
  if (lines.length <= 2 * HISTORY_ENDS) return [...lines];
  return [...lines.slice(0, HISTORY_ENDS), ...lines.slice(-HISTORY_ENDS)];
}

/**
 * A job's history to show: the kept lines, with a line in the middle saying how many of the
 * `count` lines written were left out.
 */
export function showHistory(lines: readonly string[], count = lines.length): string[] {
  const left = count - lines.length;
  if (left <= 0 || lines.length < 2 * HISTORY_ENDS) return [...lines];
  return [
    ...lines.slice(0, HISTORY_ENDS),
    `... ${left} line(s) left out ...`,
    ...lines.slice(HISTORY_ENDS),
  ];
}

/** The claim was taken over: the step was not written. */
const TAKEN_OVER: StepResult = 'taken-over';

/**
 * One DynamoDB item per job: status, attempts, last error and history. A job is claimed by a
 * conditional write before the provider call, and the old item comes back (`ALL_OLD`), so a claim that
 * expired while its holder was calling is recognised as an ambiguous attempt rather than overwritten
 * silently, which is what Powertools Idempotency would do.
 *
 * Every step after the claim (sent, released, dead) is conditional on the claim's token: a holder
 * whose claim ran out and was taken over gets `taken-over` and must leave the job to its new holder.
 *
 * The item's TTL is set by the first claim and moved on only by steps that spend an attempt (and by
 * `sent`), so a job held again and again without an attempt (a paused provider) cannot keep its item
 * for ever; its history keeps its first and last {@link HISTORY_ENDS} lines and counts the rest.
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

  #line(note: string): string {
    return `${new Date(this.#options.now()).toISOString()} ${note}`.slice(0, 300);
  }

  #keepUntil(): number {
    return Math.floor(this.#options.now() / 1000) + this.#options.keepSeconds;
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
    /**
     * The provider call this attempt will make, recorded with the claim so that a holder that dies
     * after sending leaves a job its next holder reconciles instead of re-sending blindly.
     */
    call?: CallRecord,
  ): Promise<ClaimResult> {
    const now = this.#options.now();
    const line = this.#line(call ? `claimed for call ${call.ref}` : 'claimed');
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: this.#key(jobId),
          ConditionExpression:
            'attribute_not_exists(pk) OR (#status <> :sent AND ' +
            '(#fingerprint = :fingerprint OR #fingerprint = :previous) AND ' +
            '(#status <> :claimed OR #claimExpiresAt < :now))',
          // The history grows by one line here; the holder's next step writes it back trimmed.
          UpdateExpression:
            'SET #status = :claimed, #fingerprint = :fingerprint, #claimToken = :token, ' +
            '#claimExpiresAt = :expires, #attempts = if_not_exists(#attempts, :zero) + :one, ' +
            '#history = list_append(if_not_exists(#history, :empty), :entry), ' +
            '#historyCount = if_not_exists(#historyCount, :zero) + :one, ' +
            '#expiresAt = if_not_exists(#expiresAt, :keep)' +
            (call ? ', #calls = list_append(if_not_exists(#calls, :empty), :call)' : ''),
          ExpressionAttributeNames: {
            ...(call ? { '#calls': 'calls' } : {}),
            '#status': 'status',
            '#fingerprint': 'fingerprint',
            '#claimToken': 'claimToken',
            '#claimExpiresAt': 'claimExpiresAt',
            '#attempts': 'attempts',
            '#history': 'history',
            '#historyCount': 'historyCount',
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
            ':entry': [line],
            ':keep': this.#keepUntil(),
            ...(call ? { ':call': [call] } : {}),
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const old = Attributes as LedgerEntry | undefined;
      // An earlier holder's claim ran out, or its call ended without an answer: the provider may
      // already have this message, and Postmark takes no idempotency key.
      const ambiguous = old?.status === 'claimed' || old?.status === 'unknown';
      const oldHistory = old?.history ?? [];
      const history = [...oldHistory, line];
      const historyCount = Math.max(old?.historyCount ?? 0, oldHistory.length) + 1;
      return {
        kind: 'claimed',
        attempts: (old?.attempts ?? 0) + 1,
        ambiguous,
        abandoned: old?.status === 'claimed',
        history: showHistory(keepHistoryEnds(history), historyCount),
        hold: {
          jobId,
          token,
          history,
          historyCount,
          ambiguous: ambiguous || old?.ambiguous === true,
          calls: old?.calls ?? [],
          ...(call ? { current: call } : {}),
        },
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

  /**
   * Records the provider's acceptance; from now on the job is acknowledged without a call.
   * `taken-over`: the claim ran out and another consumer holds the job now.
   */
  markSent(hold: LedgerHold, messageId: string, note = `sent ${messageId}`): Promise<StepResult> {
    return this.#step(hold, 'sent', note, { messageId }, 'counted', []);
  }

  /**
   * Releases the claim after a failed call. `unknown`: the call may have reached the provider.
   * `refundAttempt`: the failure was not the job's (a paused provider, an empty rate limit, no time
   * left): the attempt is given back and the item's expiry is left where it was.
   * `currentMaybeSent`: this attempt's call may have reached the provider, so it stays on record to
   * be reconciled (by default when the status is `unknown`); the earlier unknown calls always stay.
   * `taken-over`: the claim ran out and another consumer holds the job now; nothing was written.
   */
  release(
    hold: LedgerHold,
    status: 'retry' | 'unknown' | 'dead',
    error: string,
    refundAttempt = false,
    currentMaybeSent = status === 'unknown',
  ): Promise<StepResult> {
    const calls =
      currentMaybeSent && hold.current
        ? [...hold.calls, { ...hold.current, endedAt: this.#options.now() }]
        : hold.calls;
    return this.#step(
      hold,
      status,
      `${status}: ${error}`,
      { lastError: error.slice(0, 500) },
      refundAttempt ? 'refunded' : 'counted',
      calls,
    );
  }

  /**
   * A dead-lettered job that a search found at the provider (a replay reconciled it): recorded sent,
   * so no copy of it is sent again. `not-dead`: the job is no longer dead (sent, or held by a consumer).
   */
  async recordFound(jobId: string, messageId: string): Promise<'done' | 'not-dead'> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: this.#key(jobId),
          ConditionExpression: '#status = :dead',
          UpdateExpression:
            'SET #status = :sent, #messageId = :messageId, #expiresAt = :keep, ' +
            '#history = list_append(if_not_exists(#history, :empty), :entry), ' +
            '#historyCount = if_not_exists(#historyCount, :zero) + :one REMOVE #calls',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#messageId': 'messageId',
            '#expiresAt': 'expiresAt',
            '#history': 'history',
            '#historyCount': 'historyCount',
            '#calls': 'calls',
          },
          ExpressionAttributeValues: {
            ':dead': 'dead',
            ':sent': 'sent',
            ':messageId': messageId,
            ':keep': this.#keepUntil(),
            ':empty': [],
            ':zero': 0,
            ':one': 1,
            ':entry': [this.#line(`found at the provider by a replay: sent ${messageId}`)],
          },
        }),
      );
      return 'done';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'not-dead';
      throw error;
    }
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
            'SET #attempts = :zero, #history = list_append(if_not_exists(#history, :empty), :entry), ' +
            '#historyCount = if_not_exists(#historyCount, :zero) + :one',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#attempts': 'attempts',
            '#history': 'history',
            '#historyCount': 'historyCount',
          },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':zero': 0,
            ':one': 1,
            ':empty': [],
            ':entry': [this.#line('replayed from the DLQ: attempts reset')],
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

  /**
   * One step of the holder, written only while the item still carries the holder's token. The history
   * is written whole, its ends kept: the token guarantees no other holder appended meanwhile.
   */
  async #step(
    hold: LedgerHold,
    status: JobStatus,
    note: string,
    set: Record<string, string>,
    attempt: 'counted' | 'refunded',
    /** The calls left to reconcile after this step (none: the list is removed). */
    calls: readonly CallRecord[],
  ): Promise<StepResult> {
    const history = [...hold.history, this.#line(note)];
    const names: Record<string, string> = {
      '#status': 'status',
      '#history': 'history',
      '#historyCount': 'historyCount',
      '#claimToken': 'claimToken',
      '#claimExpiresAt': 'claimExpiresAt',
      '#ambiguous': 'ambiguous',
      '#calls': 'calls',
    };
    const values: Record<string, unknown> = {
      ':status': status,
      ':history': keepHistoryEnds(history),
      ':historyCount': hold.historyCount + 1,
      ':token': hold.token,
      ':ambiguous': hold.ambiguous || status === 'unknown',
    };
    const sets = [
      '#status = :status',
      '#history = :history',
      '#historyCount = :historyCount',
      '#ambiguous = :ambiguous',
    ];
    const removes = ['#claimToken', '#claimExpiresAt'];
    if (calls.length > 0) {
      values[':calls'] = calls;
      sets.push('#calls = :calls');
    } else {
      removes.push('#calls');
    }
    for (const [name, value] of Object.entries(set)) {
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    if (attempt === 'refunded') {
      names['#attempts'] = 'attempts';
      values[':one'] = 1;
      sets.push('#attempts = #attempts - :one');
    } else {
      // Attempts are bounded, so moving the expiry on for each one is bounded too.
      names['#expiresAt'] = 'expiresAt';
      values[':keep'] = this.#keepUntil();
      sets.push('#expiresAt = :keep');
    }
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: this.#key(hold.jobId),
          ConditionExpression: '#claimToken = :token',
          UpdateExpression: `SET ${sets.join(', ')} REMOVE ${removes.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return 'done';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return TAKEN_OVER;
      throw error;
    }
  }
}

/** The item a failed condition returned, unmarshalled (the document client leaves it raw). */
function toPlain(error: ConditionalCheckFailedException): Record<string, unknown> {
  return unmarshall(error.Item as Parameters<typeof unmarshall>[0]);
}
