import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type ResumeNote,
  type ResumeRecord,
  type ResumeVia,
  resumeRecordOf,
  resumeUpdate,
} from '../state/resume';

/** What a batcher may do now. */
export type PausePermit =
  | { kind: 'open' }
  /** This batcher's call is the one trial after a pause: settle it with {@link ProviderPause.settleTrial}. */
  | { kind: 'trial'; token: string; resumedVia?: ResumeVia }
  /** `tokenVersion`: the token secret's version the provider refused, when known. */
  | { kind: 'paused'; remainingMs: number; tokenVersion?: string };

interface PauseItem {
  pausedUntil?: number;
  trialPending?: boolean;
  leaseUntil?: number;
  tokenVersion?: string;
  resumePending?: ResumeVia;
  reason?: string;
}

/** The key of a provider account's pause item. */
export const pauseKey = (account: string) => ({ pk: `provider#${account}`, sk: 'pause' });

/**
 * One item per provider account in the state table that every batcher checks before calling: when our
 * token or account is wrong, no batcher keeps calling with it, and the jobs wait instead of failing.
 * When the pause ends (its time, an operator's resume, a new token version), one batcher takes a
 * lease for a half-open trial call; the others wait until it succeeded or paused the provider again.
 */
export class ProviderPause {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #key: { pk: string; sk: string };
  readonly #now: () => number;
  readonly #newToken: () => string;
  readonly #trialLeaseMs: number;

  constructor(options: {
    client: DynamoDBClient;
    tableName: string;
    account: string;
    now: () => number;
    newToken: () => string;
    /** How long the trial call may take before another batcher may try. */
    trialLeaseMs: number;
  }) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#key = pauseKey(options.account);
    this.#now = options.now;
    this.#newToken = options.newToken;
    this.#trialLeaseMs = options.trialLeaseMs;
  }

  /** May a batcher call the provider now? After a pause, one batcher gets the trial. */
  async permit(): Promise<PausePermit> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: this.#key }),
    );
    const item = (Item ?? {}) as PauseItem;
    const now = this.#now();
    const until = Number(item.pausedUntil ?? 0);
    if (until > now) {
      return {
        kind: 'paused',
        remainingMs: until - now,
        ...(item.tokenVersion ? { tokenVersion: item.tokenVersion } : {}),
      };
    }
    if (!item.trialPending) return { kind: 'open' };
    const lease = Number(item.leaseUntil ?? 0);
    if (lease >= now) return { kind: 'paused', remainingMs: lease - now + 1 };
    const token = this.#newToken();
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: this.#key,
          ConditionExpression:
            '#trialPending = :yes AND #pausedUntil <= :now AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)',
          UpdateExpression: 'SET #leaseUntil = :lease, #leaseToken = :token REMOVE #resumePending',
          ExpressionAttributeNames: {
            '#trialPending': 'trialPending',
            '#pausedUntil': 'pausedUntil',
            '#leaseUntil': 'leaseUntil',
            '#leaseToken': 'leaseToken',
            '#resumePending': 'resumePending',
          },
          ExpressionAttributeValues: {
            ':yes': true,
            ':now': now,
            ':lease': now + this.#trialLeaseMs,
            ':token': token,
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const resumedVia = (Attributes as PauseItem | undefined)?.resumePending;
      return resumedVia ? { kind: 'trial', token, resumedVia } : { kind: 'trial', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { kind: 'paused', remainingMs: this.#trialLeaseMs };
    }
  }

  /** The trial call was not refused: every batcher sends again. A refusal pauses instead. */
  async settleTrial(token: string): Promise<void> {
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: this.#key,
          ConditionExpression: '#leaseToken = :token',
          UpdateExpression: 'REMOVE #trialPending, #leaseUntil, #leaseToken, #tokenVersion',
          ExpressionAttributeNames: {
            '#trialPending': 'trialPending',
            '#leaseUntil': 'leaseUntil',
            '#leaseToken': 'leaseToken',
            '#tokenVersion': 'tokenVersion',
          },
          ExpressionAttributeValues: { ':token': token },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Pauses the provider for `seconds` with a reason an operator can read (never a token), and the
   * version of the token secret that was refused, so a newer version ends the pause at once.
   */
  async pause(seconds: number, reason: string, tokenVersion?: string): Promise<void> {
    const now = this.#now();
    await this.#documents.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: this.#key,
        UpdateExpression: `SET #pausedUntil = :until, #reason = :reason, #pausedAt = :at, #expiresAt = :expires, #trialPending = :yes${tokenVersion ? ', #tokenVersion = :version' : ''} REMOVE #leaseUntil, #leaseToken${tokenVersion ? '' : ', #tokenVersion'}`,
        ExpressionAttributeNames: {
          '#pausedUntil': 'pausedUntil',
          '#reason': 'reason',
          '#pausedAt': 'pausedAt',
          '#expiresAt': 'expiresAt',
          '#trialPending': 'trialPending',
          '#leaseUntil': 'leaseUntil',
          '#leaseToken': 'leaseToken',
          '#tokenVersion': 'tokenVersion',
        },
        ExpressionAttributeValues: {
          ':until': now + seconds * 1000,
          ':reason': reason.slice(0, 300),
          ':at': new Date(now).toISOString(),
          // Kept a while after the pause, so /status can still show the last resume.
          ':expires': Math.floor(now / 1000) + seconds + 7 * 86_400,
          ':yes': true,
          ...(tokenVersion ? { ':version': tokenVersion } : {}),
        },
      }),
    );
  }

  /** Ends a pause now: the next batcher makes the trial call (see {@link resumeProviderPause}). */
  resume(note: ResumeNote, onlyVersion?: string): Promise<boolean> {
    return resumeProviderPause(
      { documents: this.#documents, tableName: this.#tableName, key: this.#key, now: this.#now() },
      note,
      onlyVersion,
    );
  }
}

/**
 * Writes a resume into a provider's pause item: a running pause ends now and the next call is the
 * trial. Conditional on the pause still running (and, with `onlyVersion`, on the refused token
 * version), so it never pauses or un-pauses anything else. Resolves to whether a pause was lifted.
 */
export async function resumeProviderPause(
  target: {
    documents: DynamoDBDocumentClient;
    tableName: string;
    key: { pk: string; sk: string };
    now: number;
  },
  note: ResumeNote,
  onlyVersion?: string,
): Promise<boolean> {
  const update = resumeUpdate(note, target.now);
  try {
    await target.documents.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: target.key,
        ConditionExpression: onlyVersion
          ? '#pausedUntil > :now AND #tokenVersion = :version'
          : '#pausedUntil > :now',
        UpdateExpression: `SET #pausedUntil = :now, #trialPending = :yes, ${update.set} ADD ${update.add} REMOVE #leaseUntil, #leaseToken${onlyVersion ? ', #tokenVersion' : ''}`,
        ExpressionAttributeNames: {
          '#pausedUntil': 'pausedUntil',
          '#trialPending': 'trialPending',
          '#leaseUntil': 'leaseUntil',
          '#leaseToken': 'leaseToken',
          ...(onlyVersion ? { '#tokenVersion': 'tokenVersion' } : {}),
          ...update.names,
        },
        ExpressionAttributeValues: {
          ':now': target.now,
          ':yes': true,
          ...(onlyVersion ? { ':version': onlyVersion } : {}),
          ...update.values,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** The pause as the health probe reads it. */
export interface PauseReading {
  state: 'sending' | 'paused' | 'trial';
  reason?: string;
  /** ISO time the pause ends, while paused. */
  pausedUntil?: string;
  resume?: ResumeRecord;
}

/** Reads a provider account's pause item for the health probe (one `GetItem`, never a write). */
export function providerPauseReader(options: {
  client: DynamoDBClient;
  tableName: string;
  account: string;
  now?: () => number;
}): { read(signal?: AbortSignal): Promise<PauseReading> } {
  const documents = DynamoDBDocumentClient.from(options.client);
  const now = options.now ?? Date.now;
  return {
    async read(signal) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: options.tableName, Key: pauseKey(options.account) }),
        signal ? { abortSignal: signal } : {},
      );
      const resume = resumeRecordOf(Item);
      const extra = {
        ...(typeof Item?.reason === 'string' ? { reason: Item.reason } : {}),
        ...(resume ? { resume } : {}),
      };
      const until = Number(Item?.pausedUntil ?? 0);
      if (until > now()) {
        return { state: 'paused', pausedUntil: new Date(until).toISOString(), ...extra };
      }
      return { state: Item?.trialPending ? 'trial' : 'sending', ...extra };
    },
  };
}
