import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CircuitBreaker } from '../../shared/workflow/breaker/circuit-breaker';
import type { BreakerChange, BreakerSettings } from '../../shared/workflow/breaker/types';
import { localClientOptions, tableName } from '../helpers/stack/local-stack';

/**
 * The circuit breaker's rules, against DynamoDB Local (real conditional writes) with an injected
 * clock, so cool-downs, leases and the state cache are checked without waiting for them.
 */

const SETTINGS: BreakerSettings = {
  failureRatio: 0.5,
  minCalls: 10,
  windowSeconds: 30,
  bucketSeconds: 1,
  firstCooldownSeconds: 30,
  cooldownGrowth: 1,
  cooldownSeconds: 30,
  refusedCooldownSeconds: 300,
  cacheMs: 1000,
  flushMs: 1000,
  trialLeaseMs: 7000,
};

/** Counts the commands the breakers send, by name (one per request: retries are off). */
const sent: Record<string, number> = {};
const client = new DynamoDBClient({ ...localClientOptions(), maxAttempts: 1 });
client.middlewareStack.add(
  (next, context) => async (args) => {
    const name = String(context.commandName);
    sent[name] = (sent[name] ?? 0) + 1;
    return next(args);
  },
  { step: 'initialize', name: 'countCommands' },
);
/** Reads the table for assertions, outside the counts. */
const inspector = new DynamoDBClient(localClientOptions());
const documents = DynamoDBDocumentClient.from(inspector);

let engine = '';
let clock = 0;
let changes: BreakerChange[] = [];

/** One container's breaker on this test's engine. */
function breaker(options: { random?: () => number; settings?: Partial<BreakerSettings> } = {}) {
  return new CircuitBreaker({
    client,
    tableName: tableName('state'),
    engine,
    settings: { ...SETTINGS, ...options.settings },
    now: () => clock,
    random: options.random ?? (() => 0),
    newToken: randomUUID,
    onChange: (change) => changes.push(change),
  });
}

async function stateItem() {
  const { Item } = await documents.send(
    new GetCommand({
      TableName: tableName('state'),
      Key: { pk: `breaker#${engine}`, sk: 'state' },
      ConsistentRead: true,
    }),
  );
  return Item;
}

async function buckets() {
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: tableName('state'),
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :bucket)',
      ExpressionAttributeValues: { ':pk': `breaker#${engine}`, ':bucket': 'bucket#' },
      ConsistentRead: true,
    }),
  );
  return Items;
}

/** Records outcomes and flushes them, as one invocation of one container would. */
async function outcomes(target: CircuitBreaker, successes: number, failures: number) {
  for (let index = 0; index < successes; index += 1) target.record(true);
  for (let index = 0; index < failures; index += 1) target.record(false);
  await target.flush();
}

const resetCounts = () => {
  for (const name of Object.keys(sent)) delete sent[name];
};

beforeEach(() => {
  engine = `breaker-test-${randomUUID().slice(0, 8)}`;
  clock = Date.now();
  changes = [];
  resetCounts();
});

afterAll(() => {
  client.destroy();
  inspector.destroy();
});

describe('circuit breaker', () => {
  it('stays closed while the window holds fewer than the minimum calls, however many fail', async () => {
    const target = breaker();
    await outcomes(target, 0, 9);

    expect(await target.state()).toBe('closed');
    expect(await target.permit()).toEqual({ kind: 'closed' });
  });

  it('stays closed below the failure share', async () => {
    const target = breaker();
    await outcomes(target, 6, 4);

    expect(await target.state()).toBe('closed');
  });

  it('opens once the window holds the minimum calls and the failure share is reached, adding up containers', async () => {
    const first = breaker();
    const second = breaker();
    await outcomes(first, 3, 2);
    clock += 1100;
    await outcomes(second, 2, 3);

    expect(await first.state()).toBe('open');
    expect(changes).toEqual([{ to: 'open', reason: '5 of 10 calls failed in 30 s' }]);
    expect(await second.permit()).toMatchObject({ kind: 'open' });
  });

  it('writes successes as one ADD per flush interval, and nothing else', async () => {
    const target = breaker();
    await outcomes(target, 40, 0);
    resetCounts();
    for (let flush = 0; flush < 5; flush += 1) {
      clock += 150;
      await outcomes(target, 20, 0);
    }

    // Within the second after a flush, successes only add up in memory.
    expect(sent).toEqual({});
    clock += 300;
    await outcomes(target, 20, 0);
    expect(sent).toEqual({ UpdateItemCommand: 1 });
    const counted = (await buckets()).reduce((sum, item) => sum + Number(item.calls), 0);
    expect(counted).toBe(160);
  });

  it('flushes failures at once and then reads the window', async () => {
    const target = breaker();
    await outcomes(target, 1, 0);
    resetCounts();
    clock += 10;
    await outcomes(target, 0, 1);

    expect(sent).toEqual({ UpdateItemCommand: 1, GetItemCommand: 1, QueryCommand: 1 });
  });

  it('keeps callers out for the cool-down, lengthened by up to a fifth of jitter', async () => {
    const openedAt = clock;
    await breaker({ random: () => 0 }).open('test');
    const plain = breaker();
    engine = `${engine}-jittered`;
    await breaker({ random: () => 1 }).open('test');
    const jittered = breaker();

    expect(await plain.permit()).toEqual({ kind: 'open', retryInMs: 30_000 });
    expect(await jittered.permit()).toEqual({ kind: 'open', retryInMs: 36_000 });
    clock = openedAt + 31_000;
    expect(await jittered.permit()).toEqual({ kind: 'open', retryInMs: 5000 });
    expect(await plain.permit()).toMatchObject({ kind: 'trial' });
  });

  it('lets exactly one of several containers take the half-open trial', async () => {
    await breaker().open('test');
    clock += 30_001;
    const containers = Array.from({ length: 6 }, () => breaker());

    const permits = await Promise.all(containers.map((container) => container.permit()));

    expect(permits.filter((permit) => permit.kind === 'trial')).toHaveLength(1);
    expect(permits.filter((permit) => permit.kind === 'open')).toHaveLength(5);
    expect(await containers[0]?.state()).toBe('half-open');
  });

  it('gives the trial to another container once the holder lets its lease run out', async () => {
    await breaker().open('test');
    clock += 30_001;
    expect(await breaker().permit()).toMatchObject({ kind: 'trial' });
    expect(await breaker().permit()).toMatchObject({ kind: 'open' });

    clock += SETTINGS.trialLeaseMs + 1;

    expect(await breaker().permit()).toMatchObject({ kind: 'trial' });
  });

  it('closes on a successful trial, and the failures that opened it no longer count', async () => {
    const target = breaker();
    await outcomes(target, 0, 10);
    clock += 30_001;
    const permit = await target.permit();
    if (permit.kind !== 'trial') throw new Error(`expected the trial, got ${permit.kind}`);

    await target.settleTrial(permit.token, true, 'trial call succeeded');
    clock += 1000;
    await outcomes(target, 0, 1);

    expect(await target.state()).toBe('closed');
    expect(await breaker().permit()).toEqual({ kind: 'closed' });
    expect(changes.map((change) => change.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens for another cool-down on a failed trial', async () => {
    const target = breaker();
    await target.open('test');
    clock += 30_001;
    const permit = await target.permit();
    if (permit.kind !== 'trial') throw new Error(`expected the trial, got ${permit.kind}`);

    await target.settleTrial(permit.token, false, 'trial call failed');

    expect(await target.state()).toBe('open');
    expect(await breaker().permit()).toEqual({ kind: 'open', retryInMs: 30_000 });
    expect(await stateItem()).toMatchObject({ reason: 'trial call failed' });
    expect(await stateItem()).not.toHaveProperty('leaseToken');
  });

  it('reopens for the long cool-down on a trial the engine refused', async () => {
    const target = breaker();
    await target.open('test');
    clock += 30_001;
    const permit = await target.permit();
    if (permit.kind !== 'trial') throw new Error(`expected the trial, got ${permit.kind}`);

    await target.settleTrial(permit.token, false, 'trial call refused', {});

    expect(await breaker().permit()).toEqual({
      kind: 'open',
      retryInMs: SETTINGS.refusedCooldownSeconds * 1000,
    });
  });

  it('ignores the settlement of a trial whose lease another container has since taken', async () => {
    await breaker().open('test');
    clock += 30_001;
    const stale = breaker();
    const first = await stale.permit();
    clock += SETTINGS.trialLeaseMs + 1;
    const second = await breaker().permit();
    if (first.kind !== 'trial' || second.kind !== 'trial') throw new Error('expected two trials');

    await stale.settleTrial(first.token, true, 'late success');

    expect(await stateItem()).toMatchObject({ state: 'open', leaseToken: second.token });
  });

  it('opens with the short first cool-down and lengthens it with each failed trial, up to the longest', async () => {
    const settings = { firstCooldownSeconds: 2, cooldownGrowth: 1.5, cooldownSeconds: 5 };
    const target = breaker({ settings });
    await target.open('test');
    const waits = [(await breaker({ settings }).permit()) as { retryInMs: number }];
    for (let trial = 0; trial < 3; trial += 1) {
      clock += waits[waits.length - 1]?.retryInMs ?? 0;
      const permit = await target.permit();
      if (permit.kind !== 'trial') throw new Error(`expected the trial, got ${permit.kind}`);
      const reopenedFor = await target.settleTrial(permit.token, false, 'trial call failed');
      const next = (await breaker({ settings }).permit()) as { retryInMs: number };
      expect(next.retryInMs).toBe(reopenedFor);
      waits.push(next);
    }

    expect(waits).toEqual([
      { kind: 'open', retryInMs: 2000 },
      { kind: 'open', retryInMs: 3000 },
      { kind: 'open', retryInMs: 4500 },
      { kind: 'open', retryInMs: 5000 },
    ]);
  });

  it('starts again from the first cool-down once a trial closed the breaker', async () => {
    const settings = { firstCooldownSeconds: 2, cooldownGrowth: 2, cooldownSeconds: 30 };
    const target = breaker({ settings });
    await target.open('test');
    clock += 2000;
    const failed = await target.permit();
    if (failed.kind !== 'trial') throw new Error(`expected the trial, got ${failed.kind}`);
    await target.settleTrial(failed.token, false, 'trial call failed');
    clock += 4000;
    const succeeded = await target.permit();
    if (succeeded.kind !== 'trial') throw new Error(`expected the trial, got ${succeeded.kind}`);
    await target.settleTrial(succeeded.token, true, 'trial call succeeded');

    await target.open('test again');

    expect(await breaker({ settings }).permit()).toEqual({ kind: 'open', retryInMs: 2000 });
  });

  it('reopens for the long cool-down on a refused trial, however short the grown cool-down is', async () => {
    const settings = { firstCooldownSeconds: 2, cooldownGrowth: 1.5, cooldownSeconds: 5 };
    const target = breaker({ settings });
    await target.open('test');
    clock += 2000;
    const permit = await target.permit();
    if (permit.kind !== 'trial') throw new Error(`expected the trial, got ${permit.kind}`);

    const reopenedFor = await target.settleTrial(permit.token, false, 'trial call refused', {});

    expect(reopenedFor).toBe(300_000);
    expect(await breaker({ settings }).permit()).toEqual({ kind: 'open', retryInMs: 300_000 });
  });

  it('tells a caller that finds the trial taken to look again within a second, not after the lease', async () => {
    await breaker().open('test');
    clock += 30_001;
    expect(await breaker().permit()).toMatchObject({ kind: 'trial' });

    expect(await breaker().permit()).toEqual({ kind: 'open', retryInMs: 1000 });
    // The lease still keeps every other caller from a second trial until it runs out.
    clock += SETTINGS.trialLeaseMs - 1;
    expect(await breaker().permit()).toMatchObject({ kind: 'open' });
  });

  it('keeps a refused configuration open for the longer refused cool-down', async () => {
    await breaker().open('engine refused our configuration: engine answered 401', true);

    expect(await breaker().permit()).toEqual({ kind: 'open', retryInMs: 300_000 });
  });

  it('trusts the state it read for about a second, then reads it again', async () => {
    const reader = breaker();
    expect(await reader.permit()).toEqual({ kind: 'closed' });
    await breaker().open('elsewhere');
    resetCounts();

    clock += 900;
    const cached = await reader.permit();
    clock += 200;
    const fresh = await reader.permit();

    expect(cached).toEqual({ kind: 'closed' });
    expect(fresh).toMatchObject({ kind: 'open' });
    expect(sent).toEqual({ GetItemCommand: 1 });
  });

  it('resumes on purpose: the cool-down ends now, the next permit is the one trial, and who/when/why are kept', async () => {
    await breaker().open('engine refused our configuration: engine answered 401', true, 'v1');
    const target = breaker();
    expect(await target.permit()).toEqual({ kind: 'open', retryInMs: 300_000, tokenVersion: 'v1' });

    const resumed = await target.resume({ via: 'command', by: 'alice', reason: 'token fixed' });
    const trial = await target.permit();
    const other = await breaker().permit();

    expect(resumed).toBe(true);
    expect(trial).toMatchObject({ kind: 'trial', resumedVia: 'command' });
    expect(other).toMatchObject({ kind: 'open' });
    expect(await stateItem()).toMatchObject({
      resumedBy: 'alice',
      resumeReason: 'token fixed',
      resumeVia: 'command',
      resumedAt: new Date(clock).toISOString(),
      resumeCount: 1,
    });
    // The trial took the pending resume with it: a second trial would not count it again.
    expect(await stateItem()).not.toHaveProperty('resumePending');
  });

  it('resumes for a new token version only while open on a refusal of the version it names', async () => {
    await breaker().open('engine refused our configuration', true, 'v1');
    const note = { via: 'new-token-version', by: 'trigger', reason: 'new version' } as const;

    expect(await breaker().resume(note, 'v0')).toBe(false);
    expect(await breaker().resume(note, 'v1')).toBe(true);
    expect(await stateItem()).not.toHaveProperty('tokenVersion');
  });

  it('leaves a closed breaker alone when asked to resume', async () => {
    expect(await breaker().resume({ via: 'command', by: 'alice', reason: 'just in case' })).toBe(
      false,
    );
    expect(await stateItem()).toBeUndefined();
  });

  it('reopens for the refused cool-down, remembering the token version, when the trial is refused', async () => {
    await breaker().open('engine refused our configuration', true, 'v1');
    const target = breaker();
    await target.resume({ via: 'command', by: 'alice', reason: 'try' });
    const permit = await target.permit();
    if (permit.kind !== 'trial') throw new Error(`expected the trial, got ${permit.kind}`);

    await target.settleTrial(permit.token, false, 'trial call refused', { tokenVersion: 'v1' });

    expect(await breaker().permit()).toEqual({
      kind: 'open',
      retryInMs: 300_000,
      tokenVersion: 'v1',
    });
  });
});
