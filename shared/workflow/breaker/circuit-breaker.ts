import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ResumeNote } from '../../state/resume';
import { grownCooldownMs, jittered } from './cooldown';
import { FailureWindow } from './failure-window';
import { resumeBreaker } from './resume';
import {
  type BreakerChange,
  type BreakerPermit,
  type BreakerSettings,
  type BreakerState,
  type StateItem,
  TRIAL_TAKEN_RETRY_MS,
} from './types';

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
  readonly #window: FailureWindow;

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
    this.#window = new FailureWindow(this.#documents, this.#table, this.#pk, this.#settings);
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
      this.#trial = { token, failedCooldownMs: grownCooldownMs(this.#settings, old?.cooldownMs) };
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
      : (trial?.failedCooldownMs ?? grownCooldownMs(this.#settings, undefined));
    const cooldownMs = jittered(this.#random, baseMs);
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
            ':until': now + jittered(this.#random, baseMs),
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
    await this.#window.add(now, calls, failures);
    if (failures > 0) await this.#evaluate(now);
  }

  async #evaluate(now: number): Promise<void> {
    const item = await this.#item(true);
    if (item.state === 'open') return;
    const { calls, failures } = await this.#window.count(now, item.closedAt ?? 0);
    if (calls >= this.#settings.minCalls && failures / calls >= this.#settings.failureRatio) {
      await this.open(`${failures} of ${calls} calls failed in ${this.#settings.windowSeconds} s`);
    }
  }
}
