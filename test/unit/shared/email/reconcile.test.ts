import { ServerClient } from 'postmark';
import { startEmailSandbox } from '../../../../local/sandboxes/email-sandbox';
import { toPostmarkMessage } from '../../../../shared/email/postmark';
import {
  reconcileVerdict,
  type SearchOutcome,
  searchCall,
} from '../../../../shared/email/reconcile';
import { jobKey, METADATA_CALL, METADATA_JOB } from '../../../../shared/messages/email-metadata';

type Sandbox = Awaited<ReturnType<typeof startEmailSandbox>>;

const job = (id: string) => ({
  id,
  from: 'Team <team@example.test>',
  to: `${id}@example.test`,
  subject: `Hello ${id}`,
  textBody: 'Hi',
  metadata: { order: id },
});

async function sendBatch(sandbox: Sandbox, ids: string[], callRef: string) {
  const response = await fetch(`${sandbox.url}/email/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Postmark-Server-Token': 'token' },
    body: JSON.stringify(ids.map((id) => toPostmarkMessage(job(id), callRef))),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { MessageID: string }[];
}

describe('the sandbox provider speaks Postmark message search, and searchCall reads it', () => {
  let sandbox: Sandbox;
  const options = () => ({ baseUrl: sandbox.url, timeoutMs: 2000 });

  beforeEach(async () => {
    sandbox = await startEmailSandbox({ port: 0, token: 'token' });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('puts our job key and call reference beside the job metadata, and finds one call by it', async () => {
    const sent = await sendBatch(sandbox, ['a', 'b'], 'call-1');
    await sendBatch(sandbox, ['c'], 'call-2');
    expect(sandbox.state.messages[0]?.metadata).toEqual({
      order: 'a',
      [METADATA_JOB]: jobKey('a'),
      [METADATA_CALL]: 'call-1',
    });

    const outcome = await searchCall(options(), 'token', 'call-1');
    expect(outcome).toEqual({
      kind: 'listed',
      messages: expect.arrayContaining([
        { jobKey: jobKey('a'), messageId: sent[0]?.MessageID },
        { jobKey: jobKey('b'), messageId: sent[1]?.MessageID },
      ]),
    });
    expect(outcome.kind === 'listed' && outcome.messages).toHaveLength(2);
    // One request, the filter as Postmark takes it.
    expect(sandbox.state.searches).toHaveLength(1);
    expect(sandbox.state.searches[0]?.query).toBe('count=500&offset=0&metadata_cs_call=call-1');
  });

  it('does not show a message before its indexing delay (not read-after-write)', async () => {
    sandbox.state.settings.searchDelayMs = 60_000;
    await sendBatch(sandbox, ['a'], 'call-1');
    expect(await searchCall(options(), 'token', 'call-1')).toEqual({
      kind: 'listed',
      messages: [],
    });
    sandbox.state.settings.searchDelayMs = 0;
    const later = await searchCall(options(), 'token', 'call-1');
    expect(later.kind === 'listed' && later.messages).toHaveLength(1);
  });

  it('turns search faults into failures, never into an empty listing', async () => {
    await sendBatch(sandbox, ['a'], 'call-1');
    sandbox.state.searchFaults.push({ status: 429, retryAfter: 7 }, { status: 500 });
    expect(await searchCall(options(), 'token', 'call-1')).toEqual({
      kind: 'failed',
      detail: 'search answered 429',
      retryAfterSeconds: 7,
    });
    expect(await searchCall(options(), 'token', 'call-1')).toMatchObject({
      kind: 'failed',
      detail: 'search answered 500',
    });
    expect(await searchCall(options(), 'wrong-token', 'call-1')).toMatchObject({
      kind: 'failed',
      detail: 'search answered 401',
    });
    sandbox.state.searchFaults.push({ hang: true, hangMs: 5000 });
    expect(await searchCall({ ...options(), timeoutMs: 300 }, 'token', 'call-1')).toEqual({
      kind: 'failed',
      detail: 'search not answered within 300 ms',
    });
  });

  it('takes an answer it cannot read (not JSON, no TotalCount) for a failure, never for an empty listing', async () => {
    for (const body of ['<html>maintenance</html>', '{"Messages":[]}']) {
      const fakeFetch = (async () => new Response(body, { status: 200 })) as typeof fetch;
      expect(await searchCall({ ...options(), fetch: fakeFetch }, 'token', 'call-1')).toEqual({
        kind: 'failed',
        detail: 'search answer unreadable',
      });
    }
  });

  it('reads every page of a call listed over several pages', async () => {
    const ids = Array.from({ length: 450 }, (_, index) => `p${index}`);
    await sendBatch(sandbox, ids, 'call-big');
    await sendBatch(sandbox, ids.slice(0, 200), 'call-big');
    const outcome = await searchCall(options(), 'token', 'call-big');
    expect(outcome.kind === 'listed' && outcome.messages).toHaveLength(650);
    expect(sandbox.state.searches.map((search) => search.query)).toEqual([
      'count=500&offset=0&metadata_cs_call=call-big',
      'count=500&offset=500&metadata_cs_call=call-big',
    ]);
  });

  it('answers Postmark’s own npm client: batch send, then search by metadata and recipient', async () => {
    const client = new ServerClient('token', {
      useHttps: false,
      requestHost: sandbox.url.replace(/^http:\/\//, ''),
      timeout: 5,
    });
    const results = await client.sendEmailBatch([
      {
        From: 'team@example.test',
        To: 'Ada <ada@example.test>',
        Subject: 'One',
        TextBody: 'x',
        Metadata: { cs_call: 'npm-call' },
      },
      { From: 'team@example.test', To: 'bob@example.test', Subject: 'Two', TextBody: 'y' },
    ]);
    expect(results.map((result) => result.ErrorCode)).toEqual([0, 0]);
    const byMetadata = await client.getOutboundMessages({
      count: 50,
      offset: 0,
      metadata_cs_call: 'npm-call',
    });
    expect(byMetadata.TotalCount).toBe(1);
    expect(byMetadata.Messages[0]).toMatchObject({
      MessageID: results[0]?.MessageID,
      Recipients: ['ada@example.test'],
      To: [{ Email: 'ada@example.test', Name: 'Ada' }],
      Subject: 'One',
      Metadata: { cs_call: 'npm-call' },
    });
    const byRecipient = await client.getOutboundMessages({
      count: 50,
      offset: 0,
      recipient: 'BOB@example.test',
    });
    expect(byRecipient.Messages.map((message) => message.Subject)).toEqual(['Two']);
    await expect(client.getOutboundMessages({ count: 501, offset: 0 })).rejects.toMatchObject({
      statusCode: 422,
    });
  });
});

describe('reconcileVerdict', () => {
  const settings = { settleMs: 120_000, limitMs: 86_400_000, callSpanMs: 30_000 };
  const key = jobKey('job-1');
  const listed = (...messages: { jobKey: string; messageId: string }[]): SearchOutcome => ({
    kind: 'listed',
    messages,
  });

  it('found in any of its calls: sent, with every MessageID (two: a double)', () => {
    const calls = [
      { ref: 'c1', at: 0, endedAt: 10_000 },
      { ref: 'c2', at: 200_000, endedAt: 210_000 },
    ];
    const searches = new Map([
      ['c1', listed({ jobKey: key, messageId: 'm1' })],
      ['c2', listed({ jobKey: 'other', messageId: 'm9' }, { jobKey: key, messageId: 'm2' })],
    ]);
    expect(reconcileVerdict(calls, key, searches, 400_000, settings)).toEqual({
      kind: 'found',
      messageIds: ['m1', 'm2'],
    });
  });

  it('not found: sent only once every call settled; a crash counts the whole function timeout', () => {
    const ended = [{ ref: 'c1', at: 0, endedAt: 10_000 }];
    const empty = new Map([['c1', listed()]]);
    expect(reconcileVerdict(ended, key, empty, 130_001, settings)).toEqual({ kind: 'send' });
    expect(reconcileVerdict(ended, key, empty, 100_000, settings)).toMatchObject({
      kind: 'wait',
      seconds: 30,
    });
    const crashed = [{ ref: 'c1', at: 0 }];
    expect(reconcileVerdict(crashed, key, empty, 130_001, settings)).toMatchObject({
      kind: 'wait',
      seconds: 20,
    });
    expect(reconcileVerdict(crashed, key, empty, 150_001, settings)).toEqual({ kind: 'send' });
  });

  it('a failed or missing search waits (the provider’s Retry-After when given); past the limit gives up', () => {
    const calls = [{ ref: 'c1', at: 0, endedAt: 10_000 }];
    const failed = new Map<string, SearchOutcome>([
      ['c1', { kind: 'failed', detail: 'search answered 429', retryAfterSeconds: 42 }],
    ]);
    expect(reconcileVerdict(calls, key, failed, 200_000, settings)).toEqual({
      kind: 'wait',
      seconds: 42,
      reason: 'provider search: search answered 429',
    });
    expect(reconcileVerdict(calls, key, new Map(), 200_000, settings)).toMatchObject({
      kind: 'wait',
    });
    expect(reconcileVerdict(calls, key, failed, 86_400_001, settings)).toMatchObject({
      kind: 'give-up',
    });
  });
});
