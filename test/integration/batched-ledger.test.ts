import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchedLedger } from '../../shared/ledger/batched-ledger';
import { JobLedger } from '../../shared/ledger/job-ledger';
import type { ClaimResult, LedgerHold } from '../../shared/ledger/types';
import { localClientOptions, tableName } from '../helpers/stack/local-stack';

/**
 * The batched job ledger against DynamoDB Local (issue 19: at most 0.2 DynamoDB round trips per
 * email sent): claims and sent marks asked for together go out as one transaction, and every job
 * gets exactly the answer the one-job ledger gives it, whatever its item holds (sent, held, expired,
 * other content), with other consumers claiming the same jobs at the same time. The requests each
 * ledger's client sent are counted at the client.
 */

jest.setTimeout(30_000);
const CLAIM_MS = 60_000;
const KEEP_SECONDS = 14 * 86_400;

let clock = Date.parse('2026-12-01T00:00:00Z');
let scope = '';

/**
 * One consumer (a container of its own): its client, the requests it sent, its two ledgers.
 * `afterFirstTransaction` runs once, after the first transaction's answer and before the ledger sees it.
 */
function consumer(afterFirstTransaction?: () => Promise<void>) {
  const client = new DynamoDBClient({ ...localClientOptions(), maxAttempts: 1 });
  const sent: string[] = [];
  let interfered = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName).replace(/Command$/, '');
      sent.push(name);
      try {
        return await next(args);
      } finally {
        if (afterFirstTransaction && name === 'TransactWriteItems' && !interfered) {
          interfered = true;
          await afterFirstTransaction();
        }
      }
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const place = { client, tableName: tableName('state'), scope, keepSeconds: KEEP_SECONDS };
  const single = new JobLedger({ ...place, now: () => clock });
  const batched = new BatchedLedger({ ...place, now: () => clock });
  return { single, batched, sent };
}

function held(result: ClaimResult): Extract<ClaimResult, { kind: 'claimed' }> {
  if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${JSON.stringify(result)}`);
  return result;
}

const ids = (count: number, prefix = 'job') =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

beforeEach(() => {
  scope = `test-${randomUUID()}`;
  clock = Date.parse('2026-12-01T00:00:00Z');
});

describe('batched job ledger (DynamoDB Local)', () => {
  it('claims 100 new jobs in one transaction and marks them sent in another', async () => {
    const { batched, single, sent } = consumer();
    const call = { ref: 'call-1', at: clock };
    const claims = await Promise.all(
      ids(100).map((id) =>
        batched.claim(id, `fp-${id}`, `token-${id}`, CLAIM_MS, `fp-${id}`, call),
      ),
    );

    expect(sent).toEqual(['TransactWriteItems']);
    for (const claim of claims) {
      expect(claim).toMatchObject({ kind: 'claimed', attempts: 1, ambiguous: false });
    }
    const first = held(claims[0] as ClaimResult);
    expect(first.hold).toMatchObject({ jobId: 'job-0', token: 'token-job-0', calls: [] });
    expect(first.hold.current).toEqual(call);
    expect(await single.get('job-99')).toMatchObject({
      status: 'claimed',
      claimToken: 'token-job-99',
      fingerprint: 'fp-job-99',
      attempts: 1,
      calls: [call],
      historyCount: 1,
    });

    sent.length = 0;
    const marks = await Promise.all(
      claims.map((claim, index) => batched.markSent(held(claim).hold, `pm-${index}`)),
    );
    expect(sent).toEqual(['TransactWriteItems']);
    expect(marks.every((mark) => mark === 'done')).toBe(true);
    const entry = await single.get('job-42');
    expect(entry).toMatchObject({ status: 'sent', messageId: 'pm-42', historyCount: 2 });
    expect(entry?.claimToken).toBeUndefined();
    expect(entry?.calls).toBeUndefined();
  });

  it('gives each job of a mixed batch the answer the one-job ledger gives it', async () => {
    const setup = consumer().single;
    // Sent, held by a live claim, first used for other content, a claim that ran out, a job waiting
    // for a retry, and one whose call ended without an answer.
    await setup.markSent(held(await setup.claim('sent-2', 'fp', 'old', CLAIM_MS)).hold, 'pm-sent');
    await setup.claim('live', 'fp', 'other-holder', CLAIM_MS * 10);
    await setup.claim('reused', 'fp-other', 'old', CLAIM_MS);
    await setup.claim('expired', 'fp', 'dead-holder', CLAIM_MS);
    await setup.release(
      held(await setup.claim('retry', 'fp', 'old', CLAIM_MS)).hold,
      'retry',
      '500',
    );
    const unknownCall = { ref: 'call-0', at: clock };
    const unknown = held(await setup.claim('unknown', 'fp', 'old', CLAIM_MS, 'fp', unknownCall));
    await setup.release(unknown.hold, 'unknown', 'timeout');
    clock += CLAIM_MS + 1;

    const { batched, sent } = consumer();
    const asked = ['new-1', 'sent-2', 'live', 'reused', 'expired', 'retry', 'unknown', 'new-2'];
    const call = { ref: 'call-1', at: clock };
    const results = await Promise.all(
      asked.map((id) => batched.claim(id, 'fp', `mine-${id}`, CLAIM_MS, 'fp', call)),
    );
    const byId = Object.fromEntries(asked.map((id, index) => [id, results[index]]));

    expect(byId['new-1']).toMatchObject({ kind: 'claimed', attempts: 1, ambiguous: false });
    expect(byId['new-2']).toMatchObject({ kind: 'claimed', attempts: 1, ambiguous: false });
    expect(byId['sent-2']).toEqual({ kind: 'sent', messageId: 'pm-sent' });
    expect(byId.live).toMatchObject({ kind: 'busy' });
    expect(byId.reused).toEqual({ kind: 'conflict' });
    expect(byId.expired).toMatchObject({
      kind: 'claimed',
      attempts: 2,
      ambiguous: true,
      abandoned: true,
    });
    expect(byId.retry).toMatchObject({ kind: 'claimed', attempts: 2, ambiguous: false });
    const again = held(byId.unknown as ClaimResult);
    expect(again).toMatchObject({ attempts: 2, ambiguous: true });
    expect(again.hold).toMatchObject({ ambiguous: true, calls: [{ ref: 'call-0' }] });
    expect(again.history.join('\n')).toContain('unknown: timeout');
    // The refused transaction returned the items, so the second one claimed every claimable job.
    expect(sent).toEqual(['TransactWriteItems', 'TransactWriteItems']);
    const check = consumer().single;
    expect(await check.get('live')).toMatchObject({ claimToken: 'other-holder', attempts: 1 });
    expect(await check.get('unknown')).toMatchObject({
      status: 'claimed',
      claimToken: 'mine-unknown',
      attempts: 2,
      calls: [{ ref: 'call-0' }, { ref: 'call-1' }],
    });
    expect(await check.get('sent-2')).toMatchObject({ status: 'sent', messageId: 'pm-sent' });
  });

  it('claims from the item as it is when another writer changed it after it was returned', async () => {
    const setup = consumer().single;
    await setup.release(
      held(await setup.claim('moving', 'fp', 'old', CLAIM_MS)).hold,
      'retry',
      '500',
    );
    // Right after the batch's first transaction returns the item, another consumer claims the job and
    // releases it: the item the batch was given is no longer the item.
    const other = consumer().single;
    const { batched, sent } = consumer(async () => {
      const taken = held(await other.claim('moving', 'fp', 'other', CLAIM_MS));
      await other.release(taken.hold, 'retry', '503');
    });

    const result = held(await batched.claim('moving', 'fp', 'mine', CLAIM_MS));

    // The pinned count refused the second transaction; the third claimed from the item as it is.
    expect(sent).toEqual(['TransactWriteItems', 'TransactWriteItems', 'TransactWriteItems']);
    expect(result.attempts).toBe(3);
    expect(result.history.join('\n')).toContain('retry: 503');
    expect(await setup.get('moving')).toMatchObject({ claimToken: 'mine', attempts: 3 });
  });

  it('releases and holds many jobs in one transaction, refusing only a taken-over claim', async () => {
    const { batched, single, sent } = consumer();
    const claims = await Promise.all(
      ids(30).map((id) => batched.claim(id, 'fp', `t-${id}`, CLAIM_MS)),
    );
    clock += CLAIM_MS + 1;
    await consumer().single.claim('job-7', 'fp', 'new-holder', CLAIM_MS);
    sent.length = 0;

    const steps = await Promise.all(
      claims.map((claim, index) =>
        index % 2 === 0
          ? batched.release(held(claim).hold, 'retry', 'rate limit', true)
          : batched.release(held(claim).hold, 'dead', 'ErrorCode 300'),
      ),
    );

    expect(steps.filter((step) => step === 'taken-over')).toHaveLength(1);
    expect(steps[7]).toBe('taken-over');
    expect(sent).toEqual(['TransactWriteItems', 'TransactWriteItems']);
    expect(await single.get('job-4')).toMatchObject({ status: 'retry', attempts: 0 });
    expect(await single.get('job-5')).toMatchObject({
      status: 'dead',
      attempts: 1,
      lastError: 'ErrorCode 300',
    });
    expect(await single.get('job-7')).toMatchObject({ claimToken: 'new-holder', attempts: 2 });
  });

  it('claims each job once when two consumers batch the same jobs at the same time', async () => {
    const jobs = ids(60);
    const [a, b] = [consumer().batched, consumer().batched];
    const [fromA, fromB] = await Promise.all([
      Promise.all(jobs.map((id) => a.claim(id, 'fp', `a-${id}`, CLAIM_MS))),
      Promise.all(jobs.map((id) => b.claim(id, 'fp', `b-${id}`, CLAIM_MS))),
    ]);

    const check = consumer().single;
    for (const [index, id] of jobs.entries()) {
      const kinds = [fromA[index]?.kind, fromB[index]?.kind].sort();
      expect({ id, kinds }).toEqual({ id, kinds: ['busy', 'claimed'] });
      const winner = fromA[index]?.kind === 'claimed' ? 'a' : 'b';
      expect(await check.get(id)).toMatchObject({ claimToken: `${winner}-${id}`, attempts: 1 });
    }
  });

  it('answers one claim and one busy when a batch asks for the same job twice', async () => {
    const { batched } = consumer();
    const results = await Promise.all([
      batched.claim('twice', 'fp', 'first', CLAIM_MS),
      batched.claim('twice', 'fp', 'second', CLAIM_MS),
      batched.claim('other', 'fp', 'third', CLAIM_MS),
    ]);
    expect(results.map((result) => result.kind).sort()).toEqual(['busy', 'claimed', 'claimed']);
  });

  it('refuses only the sent mark whose claim was taken over; the others are written', async () => {
    const { batched, single } = consumer();
    const holds: LedgerHold[] = [];
    for (const id of ids(5))
      holds.push(held(await single.claim(id, 'fp', `t-${id}`, CLAIM_MS)).hold);
    // job-2's claim runs out and another consumer takes it over.
    clock += CLAIM_MS + 1;
    await consumer().single.claim('job-2', 'fp', 'new-holder', CLAIM_MS);

    const marks = await Promise.all(
      holds.map((hold, index) => batched.markSent(hold, `pm-${index}`)),
    );

    expect(marks).toEqual(['done', 'done', 'taken-over', 'done', 'done']);
    expect(await single.get('job-2')).toMatchObject({
      status: 'claimed',
      claimToken: 'new-holder',
      attempts: 2,
    });
    expect(await single.get('job-3')).toMatchObject({ status: 'sent', messageId: 'pm-3' });
  });

  it('rejects every claim of the batch when DynamoDB cannot be reached, writing nothing', async () => {
    const unreachable = new DynamoDBClient({
      ...localClientOptions(),
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
    });
    const place = { client: unreachable, tableName: tableName('state'), scope, keepSeconds: 60 };
    const batched = new BatchedLedger({ ...place, now: () => clock });
    const results = await Promise.allSettled(
      ids(3).map((id) => batched.claim(id, 'fp', 't', CLAIM_MS)),
    );
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(await consumer().single.get('job-0')).toBeUndefined();
  });

  it('fails every claim and step of a batch at the request timeout when DynamoDB stops answering', async () => {
    // A server on loopback that takes connections and never answers: a hung DynamoDB, not a refusal.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const hung = new DynamoDBClient({
        ...localClientOptions(),
        endpoint: `http://127.0.0.1:${port}`,
        maxAttempts: 1,
        requestHandler: {
          connectionTimeout: 500,
          requestTimeout: 500,
          throwOnRequestTimeout: true,
        },
      });
      const place = { client: hung, tableName: tableName('state'), scope, keepSeconds: 60 };
      const batched = new BatchedLedger({ ...place, now: () => clock });
      const hold = {
        jobId: 'held',
        token: 't',
        history: [],
        historyCount: 1,
        ambiguous: false,
        calls: [],
      };
      const results = await Promise.allSettled([
        ...ids(3).map((id) => batched.claim(id, 'fp', 't', CLAIM_MS)),
        batched.markSent(hold, 'pm-1'),
        batched.release(hold, 'retry', 'busy', true),
      ]);
      expect(results.map((result) => result.status)).toEqual(Array(5).fill('rejected'));
      // Without a request timeout that fails them, these would wait until the test's own timeout.
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('answers every claim of a batch even when building it throws, instead of leaving it waiting', async () => {
    // A clock that gives no time: the history line cannot be written (toISOString throws).
    const batched = new BatchedLedger({
      client: new DynamoDBClient({ ...localClientOptions(), maxAttempts: 1 }),
      tableName: tableName('state'),
      scope,
      keepSeconds: 60,
      now: () => Number.NaN,
    });
    const results = await Promise.allSettled(
      ids(2).map((id) => batched.claim(id, 'fp', 't', CLAIM_MS)),
    );
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await consumer().single.get('job-0')).toBeUndefined();
  });

  it('takes a batch of steps DynamoDB wrote but whose answer was lost, sent again by the SDK, as done', async () => {
    const { batched } = consumer();
    const claims = await Promise.all(
      ids(3).map((id) => batched.claim(id, 'fp', `t-${id}`, CLAIM_MS)),
    );
    // A client that loses the answer to its first transaction after DynamoDB applied it: the SDK
    // sends the same transaction again (the same ClientRequestToken).
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
    const lossy = new BatchedLedger({
      client,
      tableName: tableName('state'),
      scope,
      keepSeconds: KEEP_SECONDS,
      now: () => clock,
    });

    const steps = await Promise.all(
      claims.map((claim) => lossy.release(held(claim).hold, 'retry', 'answer 500')),
    );

    expect(steps).toEqual(['done', 'done', 'done']);
    expect(sends).toBe(2);
    for (const id of ids(3)) {
      expect(await consumer().single.get(id)).toMatchObject({ status: 'retry', historyCount: 2 });
    }
  });
});
