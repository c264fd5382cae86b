import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HISTORY_ENDS } from '../../shared/ledger/history';
import { JobLedger } from '../../shared/ledger/job-ledger';
import type { ClaimResult, LedgerHold } from '../../shared/ledger/types';
import { localClientOptions, tableName } from '../helpers/stack/local-stack';

/**
 * The job ledger's rules against DynamoDB Local (real conditional writes) with an injected clock, so
 * claims expire, are taken over and items age without waiting: one claim wins among concurrent
 * holders, every step after the claim needs the claim's token, and a job's history and expiry stay
 * bounded however often it is held.
 */

const KEEP_SECONDS = 14 * 86_400;

// Dozens of writes a test, on a machine that may be busy.
jest.setTimeout(30_000);
const CLAIM_MS = 60_000;

let clock = Date.parse('2026-12-01T00:00:00Z');
let scope = '';

/** One consumer's ledger, with its own client (as separate containers have). */
function ledger(): JobLedger {
  return new JobLedger({
    client: new DynamoDBClient({ ...localClientOptions(), maxAttempts: 1 }),
    tableName: tableName('state'),
    scope,
    keepSeconds: KEEP_SECONDS,
    now: () => clock,
  });
}

function held(result: ClaimResult): Extract<ClaimResult, { kind: 'claimed' }> {
  if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${JSON.stringify(result)}`);
  return result;
}

beforeEach(() => {
  scope = `test-${randomUUID()}`;
  clock = Date.parse('2026-12-01T00:00:00Z');
});

describe('job ledger (DynamoDB Local)', () => {
  it('lets exactly one of many concurrent holders claim a job; the others are told to wait', async () => {
    const contenders = Array.from({ length: 12 }, () => ledger());
    const results = await Promise.all(
      contenders.map((each, index) => each.claim('job-1', 'fp', `token-${index}`, CLAIM_MS)),
    );

    expect(results.filter((result) => result.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((result) => result.kind === 'busy')).toHaveLength(11);
    const entry = await ledger().get('job-1');
    const winner = results.findIndex((result) => result.kind === 'claimed');
    expect(entry).toMatchObject({ status: 'claimed', attempts: 1, claimToken: `token-${winner}` });
  });

  it('lets exactly one of many concurrent holders take over an expired claim, counted ambiguous', async () => {
    held(await ledger().claim('job-1', 'fp', 'first', CLAIM_MS));
    clock += CLAIM_MS + 1;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        ledger().claim('job-1', 'fp', `late-${index}`, CLAIM_MS),
      ),
    );

    const claimed = results.filter((result) => result.kind === 'claimed');
    expect(claimed).toHaveLength(1);
    expect(claimed[0]).toMatchObject({ attempts: 2, ambiguous: true });
  });

  it('refuses every step of a holder whose expired claim was taken over, leaving the new holder be', async () => {
    const first = held(await ledger().claim('job-1', 'fp', 'first', CLAIM_MS));
    clock += CLAIM_MS + 1;
    const second = held(await ledger().claim('job-1', 'fp', 'second', CLAIM_MS));

    const stale = ledger();
    expect(await stale.release(first.hold, 'retry', 'answer 500')).toBe('taken-over');
    expect(await stale.release(first.hold, 'unknown', 'timeout')).toBe('taken-over');
    expect(await stale.release(first.hold, 'dead', 'ErrorCode 300')).toBe('taken-over');
    expect(await stale.release(first.hold, 'retry', 'paused', true)).toBe('taken-over');
    expect(await stale.markSent(first.hold, 'pm-first')).toBe('taken-over');
    expect(await ledger().get('job-1')).toMatchObject({
      status: 'claimed',
      attempts: 2,
      claimToken: 'second',
    });

    expect(await ledger().markSent(second.hold, 'pm-second')).toBe('done');
    // The first holder cannot overwrite the newer holder's `sent` either.
    expect(await stale.release(first.hold, 'retry', 'answer 500')).toBe('taken-over');
    const entry = await ledger().get('job-1');
    expect(entry).toMatchObject({ status: 'sent', messageId: 'pm-second', attempts: 2 });
    expect(entry?.claimToken).toBeUndefined();
    expect(await ledger().claim('job-1', 'fp', 'third', CLAIM_MS)).toEqual({
      kind: 'sent',
      messageId: 'pm-second',
    });
  });

  it('takes a step DynamoDB wrote but whose answer was lost, sent again by the SDK, as done, not taken over', async () => {
    const first = held(await ledger().claim('job-1', 'fp', 'first', CLAIM_MS));
    // The answer to the first send is lost after DynamoDB applied it (as when DynamoDB is frozen
    // mid-call and resumed): the SDK sends the same step again, and that send fails its condition.
    const client = new DynamoDBClient({ ...localClientOptions(), maxAttempts: 2 });
    let sends = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        sends += 1;
        const result = await next(args);
        if (sends === 1) {
          throw Object.assign(new Error('the answer was lost'), {
            name: 'TimeoutError',
            code: 'ETIMEDOUT',
          });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseTheFirstAnswer' },
    );
    const lossy = new JobLedger({
      client,
      tableName: tableName('state'),
      scope,
      keepSeconds: KEEP_SECONDS,
      now: () => clock,
    });

    expect(await lossy.release(first.hold, 'retry', 'answer 500')).toBe('done');
    expect(sends).toBe(2);
    const entry = await ledger().get('job-1');
    expect(entry).toMatchObject({ status: 'retry', attempts: 1, historyCount: 2 });
    expect(entry?.claimToken).toBeUndefined();
    // A stale holder is still refused after a takeover, even when its answer was lost the same way.
    clock += CLAIM_MS + 1;
    const second = held(await ledger().claim('job-1', 'fp', 'second', CLAIM_MS));
    sends = 0;
    expect(await lossy.markSent(first.hold, 'pm-first')).toBe('taken-over');
    expect(await ledger().get('job-1')).toMatchObject({ status: 'claimed', claimToken: 'second' });
    expect(await ledger().markSent(second.hold, 'pm-second')).toBe('done');
  });

  it("accepts a holder's step after its claim expired when no one took the job over", async () => {
    const first = held(await ledger().claim('job-1', 'fp', 'first', CLAIM_MS));
    clock += CLAIM_MS * 3;
    expect(await ledger().markSent(first.hold, 'pm-1')).toBe('done');
    expect(await ledger().get('job-1')).toMatchObject({ status: 'sent', messageId: 'pm-1' });
  });

  it('refuses a step whose job was forgotten meanwhile (a forced replay)', async () => {
    const first = held(await ledger().claim('job-1', 'fp', 'first', CLAIM_MS));
    await ledger().clear('job-1');
    expect(await ledger().release(first.hold, 'retry', 'answer 500')).toBe('taken-over');
    expect(await ledger().get('job-1')).toBeUndefined();
  });

  it('gives a held attempt back and keeps the expiry where the first claim set it', async () => {
    const consumer = ledger();
    const firstClaimAt = clock;
    for (let hold = 0; hold < 3 * HISTORY_ENDS; hold += 1) {
      const claim = held(await consumer.claim('job-1', 'fp', `t-${hold}`, CLAIM_MS));
      expect(claim.attempts).toBe(1);
      expect(await consumer.release(claim.hold, 'retry', 'provider paused', true)).toBe('done');
      clock += 86_400_000;
    }

    const entry = await consumer.get('job-1');
    expect(entry?.attempts).toBe(0);
    expect(entry?.expiresAt).toBe(Math.floor(firstClaimAt / 1000) + KEEP_SECONDS);
  });

  it('keeps the first and last lines of a long history and counts them all', async () => {
    const consumer = ledger();
    const rounds = 3 * HISTORY_ENDS;
    for (let round = 0; round < rounds; round += 1) {
      const claim = held(await consumer.claim('job-1', 'fp', `t-${round}`, CLAIM_MS));
      await consumer.release(claim.hold, 'retry', `paused #${round}`, true);
      clock += 1000;
    }

    const entry = await consumer.get('job-1');
    expect(entry?.historyCount).toBe(2 * rounds);
    expect(entry?.history).toHaveLength(2 * HISTORY_ENDS);
    expect(entry?.history?.[0]).toMatch(/claimed$/);
    expect(entry?.history?.[1]).toMatch(/retry: paused #0$/);
    expect(entry?.history?.at(-1)).toMatch(new RegExp(`retry: paused #${rounds - 1}$`));

    const next = held(await consumer.claim('job-1', 'fp', 'last', CLAIM_MS));
    expect(next.history).toContain(`... ${2 * rounds + 1 - 2 * HISTORY_ENDS} line(s) left out ...`);
  });

  it('moves the expiry on for an attempt that counts', async () => {
    const consumer = ledger();
    const claim = held(await consumer.claim('job-1', 'fp', 't-1', CLAIM_MS));
    clock += 5 * 86_400_000;
    await consumer.release(claim.hold, 'retry', 'answer 500');
    expect((await consumer.get('job-1'))?.expiresAt).toBe(Math.floor(clock / 1000) + KEEP_SECONDS);
  });

  it('remembers that an attempt may have reached the provider, through later answered attempts', async () => {
    const consumer = ledger();
    const step = async (token: string, write: (hold: LedgerHold) => Promise<unknown>) => {
      const claim = held(await consumer.claim('job-1', 'fp', token, CLAIM_MS));
      await write(claim.hold);
      return claim;
    };
    await step('t-1', (hold) => consumer.release(hold, 'unknown', 'timeout'));
    const second = await step('t-2', (hold) => consumer.release(hold, 'retry', 'answer 500'));
    expect(second.ambiguous).toBe(true);
    const third = held(await consumer.claim('job-1', 'fp', 't-3', CLAIM_MS));
    // The last attempt before it was answered, but the job stays ambiguous.
    expect(third.ambiguous).toBe(false);
    expect(third.hold.ambiguous).toBe(true);
    await consumer.release(third.hold, 'dead', 'answer 500');
    expect(await consumer.get('job-1')).toMatchObject({ status: 'dead', ambiguous: true });
  });

  it('answers conflict to a claim of the same id for other content', async () => {
    held(await ledger().claim('job-1', 'fp', 't-1', CLAIM_MS));
    expect(await ledger().claim('job-1', 'other', 't-2', CLAIM_MS)).toEqual({ kind: 'conflict' });
  });
});
