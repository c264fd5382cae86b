import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ResumeNote,
  type ResumeRecord,
  type ResumeVia,
  resumeRecordOf,
  resumeUpdate,
} from '../state/resume';

/** A breaker's state as callers and the health probe see it. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** What a caller may do now. */
export type BreakerPermit =
  | { kind: 'closed' }
  /** This caller holds the one half-open trial: settle it with {@link CircuitBreaker.settleTrial}. */
  | { kind: 'trial'; token: string; resumedVia?: ResumeVia }
  /** `tokenVersion`: the token secret's version the engine refused, when a refusal opened it. */
  | { kind: 'open'; retryInMs: number; tokenVersion?: string };

/** Tunables of {@link CircuitBreaker}. */
export interface BreakerSettings {
  /** Opens when failures / calls in the window reach this share (0..1). */
  failureRatio: number;
  /** ... and the window holds at least this many calls. */
  minCalls: number;
  windowSeconds: number;
  bucketSeconds: number;
  /** The cool-down after the breaker opens from closed. */
  firstCooldownSeconds: number;
  /** Each failed trial makes the next cool-down this many times longer (1: no growth)... */
  cooldownGrowth: number;
  /** ... up to this. */
  cooldownSeconds: number;
  /** Cool-down after the engine refused our configuration (401, 403, 404, 422). */
  refusedCooldownSeconds: number;
  /** How long a container trusts the state it read. */
  cacheMs: number;
  /** Counts are written at most this often per container (one `ADD` per flush). */
  flushMs: number;
  /** How long the half-open trial may take before another container may try. */
  trialLeaseMs: number;
}

/** A state change, for logs and metrics. */
export interface BreakerChange {
  to: BreakerState;
  reason: string;
}

interface StateItem {
  state?: 'closed' | 'open';
  openUntil?: number;
  leaseUntil?: number;
  closedAt?: number;
  reason?: string;
  /** The engine refused our token of this secret version: a newer one ends the cool-down. */
  tokenVersion?: string;
  resumePending?: ResumeVia;
  /** The current cool-down without its jitter: the next failed trial's grows from it. */
  cooldownMs?: number;
}

/**
 * How long a caller that finds the trial taken holds its jobs before it looks again: the trial is
 * one call, usually far shorter than its lease, and the jobs should be back soon after it closes.
 */
export const TRIAL_TAKEN_RETRY_MS = 1000;

/**
 * A circuit breaker per engine, shared by every container through the state table. Outcomes are
 * summed in memory and flushed as one `ADD` into a short time bucket at most once per `flushMs`, so a
 * success costs no write of its own; the window is read only when a flush carried failures. After the
 * cool-down (with jitter) one caller takes the half-open lease by conditional write and makes the
 * trial call; success closes the breaker, failure reopens it for a longer cool-down (the first is
 * short, each failed trial's grows by `cooldownGrowth`, up to `cooldownSeconds`), so the wait after
 * the engine comes back stays a small share of the outage.
 */
export class CircuitBreaker {
  readonly #documents: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #pk: string;
  readonly #settings: BreakerSettings;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #newToken: () => string;
  readonly #onChange: (change: BreakerChange) => void;
  #cached: { item: StateItem; at: number } | undefined;
  #pending = { calls: 0, failures: 0 };
  #lastFlush = 0;
  /** The trial this container holds, and the cool-down its failure would start (without jitter). */
  #trial: { token: string; failedCooldownMs: number } | undefined;

  constructor(options: {
    client: DynamoDBClient;
    tableName: string;
    engine: string;
    settings: BreakerSettings;
    now: () => number;
    random: () => number;
    newToken: () => string;
    onChange?: (change: BreakerChange) => void;
  }) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#table = options.tableName;
    this.#pk = `breaker#${options.engine}`;
    this.#settings = options.settings;
    this.#now = options.now;
    this.#random = options.random;
    this.#newToken = options.newToken;
    this.#onChange = options.onChange ?? (() => {});
  }

  async #item(fresh = false): Promise<StateItem> {
    const now = this.#now();
    if (!fresh && this.#cached && now - this.#cached.at < this.#settings.cacheMs) {
      return this.#cached.item;
    }
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#table, Key: { pk: this.#pk, sk: 'state' } }),
    );
    const item = (Item ?? {}) as StateItem;
    this.#cached = { item, at: now };
    return item;
  }

  /** The state for the health probe: `half-open` once the cool-down is over. */
  async state(): Promise<BreakerState> {
    const item = await this.#item(true);
    if (item.state !== 'open') return 'closed';
    return (item.openUntil ?? 0) > this.#now() ? 'open' : 'half-open';
  }

  /** May a call go to the engine now? Past the cool-down, one caller gets the trial. */
  async permit(): Promise<BreakerPermit> {
    const item = await this.#item();
    if (item.state !== 'open') return { kind: 'closed' };
    const now = this.#now();
    const openUntil = item.openUntil ?? 0;
    if (openUntil > now) {
      return {
        kind: 'open',
        retryInMs: openUntil - now,
        ...(item.tokenVersion ? { tokenVersion: item.tokenVersion } : {}),
      };
    }
    const token = this.#newToken();
    try {
      // The trial takes a pending resume with it, so each resume is counted once, by its trial.
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: this.#pk, sk: 'state' },
          ConditionExpression:
            '#state = :open AND #openUntil <= :now AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)',
          UpdateExpression: 'SET #leaseUntil = :lease, #leaseToken = :token REMOVE #resumePending',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#openUntil': 'openUntil',
            '#leaseUntil': 'leaseUntil',
            '#leaseToken': 'leaseToken',
            '#resumePending': 'resumePending',
          },
          ReturnValues: 'ALL_OLD',
          ExpressionAttributeValues: {
            ':open': 'open',
            ':now': now,
            ':lease': now + this.#settings.trialLeaseMs,
            ':token': token,
          },
        }),
      );
      const old = Attributes as StateItem | undefined;
      const resumedVia = old?.resumePending;
      this.#trial = { token, failedCooldownMs: this.#grownCooldownMs(old?.cooldownMs) };
      this.#onChange({
        to: 'half-open',
        reason: resumedVia
          ? `resumed (${resumedVia}): one trial call`
          : 'cool-down over: one trial call',
      });
      return resumedVia ? { kind: 'trial', token, resumedVia } : { kind: 'trial', token };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Another container holds the trial (or it just closed): look again shortly.
      this.#cached = undefined;
      return {
        kind: 'open',
        retryInMs: Math.min(TRIAL_TAKEN_RETRY_MS, this.#settings.trialLeaseMs),
      };
    }
  }

  /**
   * Ends the trial: success closes the breaker, failure reopens it for another cool-down, longer
   * than the last by `cooldownGrowth` (up to `cooldownSeconds`), or the long one
   * (`refusedCooldownSeconds`) when the engine refused our configuration (token or workflow), which
   * waiting a few seconds does not fix; a refused token's version is remembered. Resolves to the
   * milliseconds until the next trial when it reopened the breaker.
   */
  async settleTrial(
    token: string,
    success: boolean,
    reason: string,
    refused?: { tokenVersion?: string },
  ): Promise<number | undefined> {
    const now = this.#now();
    const trial = this.#trial?.token === token ? this.#trial : undefined;
    if (trial) this.#trial = undefined;
    const baseMs = refused
      ? this.#settings.refusedCooldownSeconds * 1000
      : (trial?.failedCooldownMs ?? this.#grownCooldownMs(undefined));
    const cooldownMs = this.#jittered(baseMs);
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: this.#pk, sk: 'state' },
          ConditionExpression: '#leaseToken = :token',
          UpdateExpression: success
            ? 'SET #state = :closed, #closedAt = :now, #reason = :reason REMOVE #leaseUntil, #leaseToken, #openUntil, #tokenVersion, #cooldownMs'
            : refused?.tokenVersion
              ? 'SET #openUntil = :until, #cooldownMs = :cooldown, #reason = :reason, #tokenVersion = :version REMOVE #leaseUntil, #leaseToken'
              : 'SET #openUntil = :until, #cooldownMs = :cooldown, #reason = :reason REMOVE #leaseUntil, #leaseToken, #tokenVersion',
          ExpressionAttributeNames: {
            '#leaseToken': 'leaseToken',
            '#leaseUntil': 'leaseUntil',
            '#reason': 'reason',
            '#openUntil': 'openUntil',
            '#tokenVersion': 'tokenVersion',
            '#cooldownMs': 'cooldownMs',
            ...(success ? { '#state': 'state', '#closedAt': 'closedAt' } : {}),
          },
          ExpressionAttributeValues: {
            ':token': token,
            ':reason': reason.slice(0, 300),
            ...(success
              ? { ':closed': 'closed', ':now': now }
              : { ':until': now + cooldownMs, ':cooldown': baseMs }),
            ...(!success && refused?.tokenVersion ? { ':version': refused.tokenVersion } : {}),
          },
        }),
      );
      this.#cached = undefined;
      this.#onChange({ to: success ? 'closed' : 'open', reason });
      return success ? undefined : cooldownMs;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return undefined;
    }
  }

  /**
   * Ends the cool-down now: the next permit is the half-open trial. With `onlyVersion`, only when the
   * breaker is open on a refusal of that token version (a newer version was found). Resolves to
   * whether an open breaker was resumed.
   */
  async resume(note: ResumeNote, onlyVersion?: string): Promise<boolean> {
    const resumed = await resumeBreaker(
      { documents: this.#documents, tableName: this.#table, pk: this.#pk, now: this.#now() },
      note,
      onlyVersion,
    );
    this.#cached = undefined;
    return resumed;
  }

  #jittered(ms: number): number {
    // Jitter up to a fifth, so containers do not all come back at the same instant.
    return Math.round(ms * (1 + 0.2 * this.#random()));
  }

  /** The cool-down after a failed trial: the last one's (the first when unknown), grown, capped. */
  #grownCooldownMs(lastMs: number | undefined): number {
    const firstMs = this.#settings.firstCooldownSeconds * 1000;
    const maxMs = this.#settings.cooldownSeconds * 1000;
    const grown = Math.round((lastMs ?? firstMs) * this.#settings.cooldownGrowth);
    return Math.min(maxMs, Math.max(firstMs, grown));
  }

  /** Opens the breaker now (the engine refused our configuration), whatever the counts say. */
  async open(reason: string, refused = false, tokenVersion?: string): Promise<void> {
    const baseMs =
      (refused ? this.#settings.refusedCooldownSeconds : this.#settings.firstCooldownSeconds) *
      1000;
    const now = this.#now();
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: this.#pk, sk: 'state' },
          // Only from closed: an open breaker keeps its cool-down, a trial its lease.
          ConditionExpression: 'attribute_not_exists(#state) OR #state = :closed',
          UpdateExpression: tokenVersion
            ? 'SET #state = :open, #openUntil = :until, #cooldownMs = :cooldown, #reason = :reason, #openedAt = :now, #tokenVersion = :version'
            : 'SET #state = :open, #openUntil = :until, #cooldownMs = :cooldown, #reason = :reason, #openedAt = :now REMOVE #tokenVersion',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#openUntil': 'openUntil',
            '#cooldownMs': 'cooldownMs',
            '#reason': 'reason',
            '#openedAt': 'openedAt',
            '#tokenVersion': 'tokenVersion',
          },
          ExpressionAttributeValues: {
            ':open': 'open',
            ':closed': 'closed',
            ':until': now + this.#jittered(baseMs),
            ':cooldown': baseMs,
            ':reason': reason.slice(0, 300),
            ':now': now,
            ...(tokenVersion ? { ':version': tokenVersion } : {}),
          },
        }),
      );
      this.#onChange({ to: 'open', reason });
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    this.#cached = undefined;
  }

  /** Counts one call's outcome in memory (written by {@link flush}). */
  record(success: boolean): void {
    this.#pending.calls += 1;
    if (!success) this.#pending.failures += 1;
  }

  /**
   * Writes the counts as one `ADD` when `flushMs` has passed (or failures wait to be counted), then,
   * when they held failures, reads the window and opens the breaker past the threshold.
   */
  async flush(): Promise<void> {
    const now = this.#now();
    const { calls, failures } = this.#pending;
    if (calls === 0) return;
    if (failures === 0 && now - this.#lastFlush < this.#settings.flushMs) return;
    this.#pending = { calls: 0, failures: 0 };
    this.#lastFlush = now;
    const bucketMs = this.#settings.bucketSeconds * 1000;
    const bucket = Math.floor(now / bucketMs) * bucketMs;
    await this.#documents.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: { pk: this.#pk, sk: `bucket#${String(bucket).padStart(15, '0')}` },
        UpdateExpression: 'ADD #calls :calls, #failures :failures SET #expiresAt = :expires',
        ExpressionAttributeNames: {
          '#calls': 'calls',
          '#failures': 'failures',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':calls': calls,
          ':failures': failures,
          ':expires': Math.floor(now / 1000) + this.#settings.windowSeconds + 3600,
        },
      }),
    );
    if (failures > 0) await this.#evaluate(now);
  }

  async #evaluate(now: number): Promise<void> {
    const item = await this.#item(true);
    if (item.state === 'open') return;
    const bucketMs = this.#settings.bucketSeconds * 1000;
    // Buckets from before the last close do not count: they are what opened it.
    const start = Math.max(
      Math.floor((now - this.#settings.windowSeconds * 1000) / bucketMs) * bucketMs,
      Math.ceil((item.closedAt ?? 0) / bucketMs) * bucketMs,
    );
    const { Items = [] } = await this.#documents.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': this.#pk,
          ':from': `bucket#${String(start).padStart(15, '0')}`,
          ':to': `bucket#${String(now).padStart(15, '0')}`,
        },
        ConsistentRead: true,
      }),
    );
    let calls = 0;
    let failures = 0;
    for (const bucket of Items) {
      calls += Number(bucket.calls ?? 0);
      failures += Number(bucket.failures ?? 0);
    }
    if (calls >= this.#settings.minCalls && failures / calls >= this.#settings.failureRatio) {
      await this.open(`${failures} of ${calls} calls failed in ${this.#settings.windowSeconds} s`);
    }
  }
}

/**
 * Writes a resume into an engine's breaker item: open becomes half-open at once (the cool-down ends
 * now, any trial lease is dropped). Conditional on the breaker being open (and, with `onlyVersion`,
 * on the refused token version), so a closed breaker is left alone. Used by the consumers and by
 * `npm run resume`.
 */
export async function resumeBreaker(
  target: { documents: DynamoDBDocumentClient; tableName: string; pk: string; now: number },
  note: ResumeNote,
  onlyVersion?: string,
): Promise<boolean> {
  const update = resumeUpdate(note, target.now);
  try {
    await target.documents.send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: { pk: target.pk, sk: 'state' },
        ConditionExpression: onlyVersion
          ? '#state = :open AND #tokenVersion = :version'
          : '#state = :open',
        UpdateExpression: `SET #openUntil = :now, ${update.set} ADD ${update.add} REMOVE #leaseUntil, #leaseToken${onlyVersion ? ', #tokenVersion' : ''}`,
        ExpressionAttributeNames: {
          '#state': 'state',
          '#openUntil': 'openUntil',
          '#leaseUntil': 'leaseUntil',
          '#leaseToken': 'leaseToken',
          ...(onlyVersion ? { '#tokenVersion': 'tokenVersion' } : {}),
          ...update.names,
        },
        ExpressionAttributeValues: {
          ':open': 'open',
          ':now': target.now,
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

/** The key of an engine's breaker item. */
export const breakerKey = (engine: string) => ({ pk: `breaker#${engine}`, sk: 'state' });

/** The breaker as the health probe reads it: its state, why, and the last resume. */
export interface BreakerReading {
  state: BreakerState;
  /** Why it opened (or last changed): a phrase the consumer wrote, never a token. */
  reason?: string;
  /** ISO time the current cool-down ends, while open. */
  openUntil?: string;
  resume?: ResumeRecord;
}

/**
 * Reads an engine's breaker from the state table for the health probe (one `GetItem`; the probe's
 * role may read the table but never changes the breaker).
 */
export function breakerStateReader(options: {
  client: DynamoDBClient;
  tableName: string;
  engine: string;
  now?: () => number;
}): { read(signal?: AbortSignal): Promise<BreakerReading> } {
  const documents = DynamoDBDocumentClient.from(options.client);
  const now = options.now ?? Date.now;
  return {
    async read(signal) {
      const { Item } = await documents.send(
        new GetCommand({ TableName: options.tableName, Key: breakerKey(options.engine) }),
        signal ? { abortSignal: signal } : {},
      );
      const resume = resumeRecordOf(Item);
      const extra = {
        ...(typeof Item?.reason === 'string' ? { reason: Item.reason } : {}),
        ...(resume ? { resume } : {}),
      };
      if (Item?.state !== 'open') return { state: 'closed', ...extra };
      const openUntil = Number(Item.openUntil ?? 0);
      if (openUntil <= now()) return { state: 'half-open', ...extra };
      return { state: 'open', openUntil: new Date(openUntil).toISOString(), ...extra };
    },
  };
}
