import type { SQSRecord } from 'aws-lambda';
import { makeEmailBatcher } from '../../../../functions/email-batcher/batcher';
import type { EmailBatcherDeps } from '../../../../functions/email-batcher/types';
import type { CallOutcome } from '../../../../shared/email/postmark';
import type { PausePermit } from '../../../../shared/email/provider-pause';
import type { SearchOutcome } from '../../../../shared/email/reconcile';
import type { ClaimResult, LedgerHold } from '../../../../shared/ledger/types';
import { jobKey } from '../../../../shared/messages/email-metadata';
import { recordingTelemetry } from '../../../helpers/email/email-telemetry';

const record = (id: string, attempts?: number): SQSRecord =>
  ({
    messageId: `msg-${id}`,
    body: JSON.stringify({
      id,
      from: 'a@example.test',
      to: `${id}@example.test`,
      subject: 'Hi',
      textBody: 'Hello',
    }),
    messageAttributes:
      attempts === undefined
        ? {}
        : { attempts: { stringValue: String(attempts), dataType: 'String' } },
  }) as unknown as SQSRecord;

/** A provider pause that answers `permit` with `answer`. */
function pauseFake(answer: PausePermit) {
  return {
    permit: jest.fn(async () => answer),
    pause: jest.fn(async () => {}),
    settleTrial: jest.fn(async () => {}),
    resume: jest.fn(async () => true),
  };
}

/** What the fake ledger hands out for `jobId`: its token is `claim-<jobId>`. */
const holdOf = (jobId: string, ambiguous = false): LedgerHold => ({
  jobId,
  token: `claim-${jobId}`,
  history: [],
  historyCount: 1,
  ambiguous,
  calls: [],
});

/** A claim of `jobId` at its `attempts`th attempt. */
const claimedAt =
  (
    attempts: number,
    history: string[] = [],
    ambiguous = false,
  ): ((jobId: string) => Promise<ClaimResult>) =>
  async (jobId) => ({
    kind: 'claimed',
    attempts,
    ambiguous,
    history,
    hold: holdOf(jobId, ambiguous),
  });

function deps(overrides: Partial<EmailBatcherDeps> = {}) {
  const base: EmailBatcherDeps = {
    ledger: {
      claim: jest.fn(claimedAt(1)),
      markSent: jest.fn(async () => 'done' as const),
      release: jest.fn(async () => 'done' as const),
    },
    bucket: { take: jest.fn(async (want: number) => want) },
    pause: pauseFake({ kind: 'open' }),
    send: jest.fn(
      async (_token, messages): Promise<CallOutcome> => ({
        kind: 'results',
        results: messages.map((_, index) => ({ ErrorCode: 0, MessageID: `pm-${index}` })),
      }),
    ),
    token: { current: async () => 'token', refresh: async () => undefined },
    tokenVersion: async () => 'v1',
    deadLetter: jest.fn(async () => ({ messageId: 'dlq-1', indexed: true })),
    defer: jest.fn(async () => new Set<string>()),
    onIndexFailure: jest.fn(),
    telemetry: recordingTelemetry(),
    writeFailed: jest.fn(),
    log: { warn: jest.fn(), error: jest.fn() },
    settings: {
      messagesPerCall: 500,
      claimMs: 60_000,
      maxAttempts: 3,
      backoffBaseSeconds: 2,
      backoffMaxSeconds: 900,
      pauseSeconds: 300,
      holdRecheckSeconds: 60,
      rateMaxWaitMs: 1000,
      callTimeoutMs: 10_000,
      searchTimeoutMs: 5000,
      reconcile: { settleMs: 120_000, limitMs: 86_400_000, callSpanMs: 30_000 },
    },
    newCallRef: () => 'call-1',
    now: () => 0,
    sleep: async () => {},
    random: () => 0.5,
    newClaimToken: () => 'claim',
  };
  return { ...base, ...overrides };
}

describe('email batcher', () => {
  it('defers every job of a paused provider without claiming or calling', async () => {
    const d = deps({ pause: pauseFake({ kind: 'paused', remainingMs: 42_000 }) });
    const result = await makeEmailBatcher(d)({ Records: [record('a'), record('b', 2)] });

    expect(result.batchItemFailures).toEqual([]);
    expect(d.ledger.claim).not.toHaveBeenCalled();
    expect(d.send).not.toHaveBeenCalled();
    // The pause's remaining 42 s and a jitter of up to 3 s (half of it here).
    expect(d.defer).toHaveBeenCalledWith([
      expect.objectContaining({ delaySeconds: 44, attempts: 0 }),
      expect.objectContaining({ delaySeconds: 44, attempts: 2 }),
    ]);
  });

  it('holds jobs of a long pause for the re-check period only, so a resume reaches them soon', async () => {
    const d = deps({ pause: pauseFake({ kind: 'paused', remainingMs: 300_000 }) });
    const base = d.settings;
    d.settings = { ...base, holdRecheckSeconds: 20 };
    await makeEmailBatcher(d)({ Records: [record('a')] });

    expect(d.defer).toHaveBeenCalledWith([expect.objectContaining({ delaySeconds: 22 })]);
  });

  it('lifts a pause refused for an older token version and makes the trial call at once', async () => {
    const pause = pauseFake({ kind: 'paused', remainingMs: 300_000, tokenVersion: 'v0' });
    pause.permit
      .mockResolvedValueOnce({ kind: 'paused', remainingMs: 300_000, tokenVersion: 'v0' })
      .mockResolvedValueOnce({ kind: 'trial', token: 'lease', resumedVia: 'new-token-version' });
    const d = deps({ pause });
    await makeEmailBatcher(d)({ Records: [record('a')] });

    expect(pause.resume).toHaveBeenCalledWith(
      expect.objectContaining({ via: 'new-token-version' }),
      'v0',
    );
    expect(d.send).toHaveBeenCalledTimes(1);
    expect(pause.settleTrial).toHaveBeenCalledWith('lease');
    expect(d.telemetry.counts.resumed).toBe(1);
  });

  it('keeps holding when the refused token version is still the current one', async () => {
    const pause = pauseFake({ kind: 'paused', remainingMs: 300_000, tokenVersion: 'v1' });
    const d = deps({ pause });
    await makeEmailBatcher(d)({ Records: [record('a')] });

    expect(pause.resume).not.toHaveBeenCalled();
    expect(d.send).not.toHaveBeenCalled();
  });

  it('takes tokens only after the claims, sends what they cover and holds the rest without an attempt', async () => {
    const d = deps({
      ledger: {
        ...deps().ledger,
        claim: jest.fn(async (jobId: string) =>
          jobId === 'c' ? { kind: 'sent' as const, messageId: 'm-c' } : claimedAt(1)(jobId),
        ),
      },
      bucket: { take: jest.fn(async () => 1) },
      settings: { ...deps().settings, rateMaxWaitMs: 0 },
    });
    await makeEmailBatcher(d)({ Records: [record('a'), record('b'), record('c')] });

    // The job already sent asked for no token.
    expect(d.bucket.take).toHaveBeenCalledTimes(1);
    expect(d.bucket.take).toHaveBeenCalledWith(2, 0);
    expect((d.send as jest.Mock).mock.calls[0][1]).toHaveLength(1);
    expect(d.ledger.release).toHaveBeenCalledWith(holdOf('b'), 'retry', 'rate limit', true, false);
    expect(d.defer).toHaveBeenCalledWith([expect.objectContaining({ attempts: 0 })]);
  });

  it('pauses the provider once on account error codes and gives the attempts back', async () => {
    const d = deps({
      send: jest.fn(async () => ({
        kind: 'results' as const,
        results: [
          { ErrorCode: 10, Message: 'bad token' },
          { ErrorCode: 412, Message: 'pending' },
        ],
      })),
    });
    await makeEmailBatcher(d)({ Records: [record('a'), record('b')] });

    expect(d.pause.pause).toHaveBeenCalledTimes(1);
    expect(d.ledger.release).toHaveBeenCalledWith(
      holdOf('a'),
      'retry',
      'ErrorCode 10',
      true,
      false,
    );
    expect(d.deadLetter).not.toHaveBeenCalled();
    // Held for the re-check period (60 s here), not the whole 300 s pause.
    expect(d.defer).toHaveBeenCalledWith([
      expect.objectContaining({ delaySeconds: 60, attempts: 0 }),
      expect.objectContaining({ delaySeconds: 60, attempts: 0 }),
    ]);
  });

  it('dead-letters a job with its history after its last attempt', async () => {
    const d = deps({
      ledger: {
        claim: jest.fn(claimedAt(3, ['t1 claimed', 't2 retry: answer 500'])),
        markSent: jest.fn(),
        release: jest.fn(async () => 'done' as const),
      },
      send: jest.fn(async () => ({
        kind: 'retry' as const,
        detail: 'answer 500',
        maybeDelivered: false,
      })),
    });
    await makeEmailBatcher(d)({ Records: [record('a', 2)] });

    expect(d.deadLetter).toHaveBeenCalledWith(
      expect.objectContaining({ messageId: 'msg-a' }),
      expect.objectContaining({
        reasonCode: 'attempts-exhausted',
        attempts: 3,
        reason: expect.stringContaining(
          'last error: answer 500; history: t1 claimed | t2 retry: answer 500',
        ),
      }),
    );
    expect(d.defer).toHaveBeenCalledWith([]);
  });

  it('leaves a record to SQS when its dead letter or its deferral cannot be sent', async () => {
    const d = deps({
      deadLetter: jest.fn(async () => {
        throw new Error('DLQ down');
      }),
      defer: jest.fn(async () => new Set(['msg-b'])),
      ledger: {
        claim: jest.fn(async () => ({ kind: 'busy' as const, retryInMs: 5000 })),
        markSent: jest.fn(),
        release: jest.fn(),
      },
    });
    const result = await makeEmailBatcher(d)({
      Records: [{ ...record('x'), body: '{' }, record('b')],
    });

    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: 'msg-x' },
      { itemIdentifier: 'msg-b' },
    ]);
  });

  it('re-reads the token once on a 401 and calls again only with a new token', async () => {
    const send = jest
      .fn()
      .mockResolvedValueOnce({ kind: 'unauthorized', status: 401 })
      .mockResolvedValueOnce({ kind: 'results', results: [{ ErrorCode: 0, MessageID: 'pm' }] });
    const d = deps({ send, token: { current: async () => 'old', refresh: async () => 'new' } });
    await makeEmailBatcher(d)({ Records: [record('a')] });

    expect(send.mock.calls.map((call) => call[0])).toEqual(['old', 'new']);
    expect(d.ledger.markSent).toHaveBeenCalledWith(holdOf('a'), 'pm');
    expect(d.pause.pause).not.toHaveBeenCalled();
  });

  describe('ledger steps under the claim', () => {
    const retryOutcome = (maybeDelivered = false) =>
      jest.fn(async () => ({ kind: 'retry' as const, detail: 'answer 500', maybeDelivered }));

    it('acknowledges a record whose claim was taken over, without re-sending or dead-lettering it', async () => {
      const d = deps({
        ledger: {
          claim: jest.fn(claimedAt(1)),
          markSent: jest.fn(),
          release: jest.fn(async () => 'taken-over' as const),
        },
        send: retryOutcome(),
      });
      const result = await makeEmailBatcher(d)({ Records: [record('a')] });

      expect(d.ledger.release).toHaveBeenCalledWith(holdOf('a'), 'retry', 'answer 500');
      expect(result.batchItemFailures).toEqual([]);
      expect(d.defer).toHaveBeenCalledWith([]);
      expect(d.deadLetter).not.toHaveBeenCalled();
      expect(d.log.warn).toHaveBeenCalledWith(
        'the claim was taken over: the job is left to its new holder',
        expect.objectContaining({ jobId: 'a', step: 'retry' }),
      );
    });

    it('does not dead-letter a job whose last attempt lost its claim to another holder', async () => {
      const d = deps({
        ledger: {
          claim: jest.fn(claimedAt(3)),
          markSent: jest.fn(),
          release: jest.fn(async () => 'taken-over' as const),
        },
        send: retryOutcome(),
      });
      const result = await makeEmailBatcher(d)({ Records: [record('a', 2)] });

      expect(d.ledger.release).toHaveBeenCalledWith(
        holdOf('a'),
        'dead',
        'answer 500',
        false,
        false,
      );
      expect(d.deadLetter).not.toHaveBeenCalled();
      expect(result.batchItemFailures).toEqual([]);
    });

    it('marks a job dead-lettered after an unanswered last attempt as ambiguous', async () => {
      const d = deps({
        ledger: {
          claim: jest.fn(claimedAt(3)),
          markSent: jest.fn(),
          release: jest.fn(async () => 'done' as const),
        },
        send: retryOutcome(true),
      });
      await makeEmailBatcher(d)({ Records: [record('a', 2)] });

      // Its call stays on record (currentMaybeSent), so a replay reconciles it with the provider.
      expect(d.ledger.release).toHaveBeenCalledWith(
        { ...holdOf('a'), ambiguous: true },
        'dead',
        'answer 500',
        false,
        true,
      );
      expect(d.deadLetter).toHaveBeenCalledWith(
        expect.objectContaining({ messageId: 'msg-a' }),
        expect.objectContaining({ reasonCode: 'attempts-exhausted', ambiguous: true }),
      );
    });

    it('marks a job ambiguous when an earlier attempt was, though its last one was answered', async () => {
      const d = deps({
        ledger: {
          claim: jest.fn(claimedAt(3, [], true)),
          markSent: jest.fn(),
          release: jest.fn(async () => 'done' as const),
        },
        send: retryOutcome(false),
      });
      await makeEmailBatcher(d)({ Records: [record('a', 2)] });

      expect(d.deadLetter).toHaveBeenCalledWith(
        expect.anything(),
        expect.objectContaining({ ambiguous: true }),
      );
    });

    it('does not mark a job whose every attempt was answered', async () => {
      const d = deps({
        ledger: {
          claim: jest.fn(claimedAt(3)),
          markSent: jest.fn(),
          release: jest.fn(async () => 'done' as const),
        },
        send: retryOutcome(false),
      });
      await makeEmailBatcher(d)({ Records: [record('a', 2)] });

      const note = (d.deadLetter as jest.Mock).mock.calls[0][1];
      expect(note.ambiguous).toBeUndefined();
    });

    it('logs and counts a failed ledger write with the error itself, and still settles the job', async () => {
      const failure = new Error('ledger write refused', { cause: new Error('throttled') });
      const d = deps({
        ledger: {
          claim: jest.fn(claimedAt(1)),
          markSent: jest.fn(),
          release: jest.fn(async () => {
            throw failure;
          }),
        },
        send: retryOutcome(),
      });
      await makeEmailBatcher(d)({ Records: [record('a')] });

      expect(d.writeFailed).toHaveBeenCalledWith({
        store: 'ledger',
        step: 'retry',
        jobId: 'a',
        correlationId: 'msg-a',
        error: failure,
      });
      expect(d.defer).toHaveBeenCalledWith([expect.objectContaining({ attempts: 1 })]);
    });

    it('logs and counts a failed claim and leaves its record to SQS', async () => {
      const failure = new Error('table unavailable');
      const d = deps({
        ledger: {
          claim: jest.fn(async () => {
            throw failure;
          }),
          markSent: jest.fn(),
          release: jest.fn(),
        },
      });
      const result = await makeEmailBatcher(d)({ Records: [record('a')] });

      expect(d.writeFailed).toHaveBeenCalledWith(
        expect.objectContaining({ store: 'ledger', step: 'claim', jobId: 'a', error: failure }),
      );
      expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-a' }]);
    });
  });

  describe('the invocation time left', () => {
    const clock = (...remaining: number[]) => {
      const left = [...remaining];
      return { getRemainingTimeInMillis: () => (left.length > 1 ? left.shift() : left[0]) ?? 0 };
    };

    it('does not call the provider when the call could not finish, and re-sends the jobs without an attempt', async () => {
      const d = deps({ ledger: { ...deps().ledger, claim: jest.fn(claimedAt(2)) } });
      const result = await makeEmailBatcher(d)({ Records: [record('a', 1)] }, clock(12_999));

      expect(d.send).not.toHaveBeenCalled();
      expect(d.ledger.release).toHaveBeenCalledWith(
        holdOf('a'),
        'retry',
        'too little invocation time left for the call',
        true,
        false,
      );
      expect(d.defer).toHaveBeenCalledWith([
        expect.objectContaining({ delaySeconds: 1, attempts: 1 }),
      ]);
      expect(result.batchItemFailures).toEqual([]);
    });

    it('calls when the call and its settling fit', async () => {
      const d = deps();
      await makeEmailBatcher(d)({ Records: [record('a')] }, clock(13_000));

      expect(d.send).toHaveBeenCalledTimes(1);
    });

    it('does not make the second call of a refused token when it could not finish', async () => {
      const send = jest.fn().mockResolvedValue({ kind: 'unauthorized', status: 401 });
      const d = deps({ send, token: { current: async () => 'old', refresh: async () => 'new' } });
      // Read before the token wait, before the first call, before the second.
      await makeEmailBatcher(d)({ Records: [record('a')] }, clock(60_000, 60_000, 5000));

      expect(send).toHaveBeenCalledTimes(1);
      expect(d.pause.pause).not.toHaveBeenCalled();
      expect(d.defer).toHaveBeenCalledWith([
        expect.objectContaining({ delaySeconds: 1, attempts: 0 }),
      ]);
    });
  });
});

describe('email batcher: what it hands back to SQS', () => {
  it('leaves a record to SQS when its ledger claim fails, and sends nothing (the job is not lost)', async () => {
    const d = deps({
      ledger: {
        claim: jest.fn(async () => {
          throw new Error('DynamoDB unavailable');
        }),
        markSent: jest.fn(),
        release: jest.fn(),
      },
    });
    const result = await makeEmailBatcher(d)({ Records: [record('a')] });

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-a' }]);
    expect(d.send).not.toHaveBeenCalled();
  });

  it('acknowledges a copy of a job already sent, without sending or deferring it', async () => {
    const d = deps({
      ledger: {
        claim: jest.fn(async () => ({ kind: 'sent' as const, messageId: 'pm-0' })),
        markSent: jest.fn(),
        release: jest.fn(),
      },
    });
    const result = await makeEmailBatcher(d)({ Records: [record('a')] });

    expect(result.batchItemFailures).toEqual([]);
    expect(d.send).not.toHaveBeenCalled();
    expect(d.defer).toHaveBeenCalledWith([]);
  });

  it('sends each job of a batch once, in one call', async () => {
    const d = deps();
    await makeEmailBatcher(d)({ Records: [record('a'), record('b'), record('c')] });

    const send = d.send as jest.Mock;
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0][1].map((m: { To: string }) => m.To)).toEqual([
      'a@example.test',
      'b@example.test',
      'c@example.test',
    ]);
  });

  it('splits a call refused whole for a message error until the bad message is alone, sending the others in the same attempt', async () => {
    // The provider refuses any call holding the message to bad@ (whole-call 422, ErrorCode 300).
    const send = jest.fn(
      async (_token: string, messages: readonly { To: string }[]): Promise<CallOutcome> => {
        if (messages.some((m) => m.To === 'bad@example.test')) {
          return { kind: 'rejected', errorCode: 300, message: 'Invalid email request' };
        }
        return {
          kind: 'results',
          results: messages.map((m) => ({ ErrorCode: 0, MessageID: `pm-${m.To}` })),
        };
      },
    );
    const d = deps({ send });
    const ids = ['a', 'b', 'bad', 'c', 'd'];
    const result = await makeEmailBatcher(d)({ Records: ids.map((id) => record(id)) });

    expect(result.batchItemFailures).toEqual([]);
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(d.ledger.markSent).toHaveBeenCalledWith(holdOf(id), `pm-${id}@example.test`);
    }
    expect(d.deadLetter).toHaveBeenCalledTimes(1);
    expect(d.deadLetter).toHaveBeenCalledWith(
      expect.objectContaining({ messageId: 'msg-bad' }),
      expect.objectContaining({ reasonCode: 'provider-300', attempts: 1 }),
    );
    // Nothing retried: no deferral spends an attempt of the good jobs.
    expect(d.defer).toHaveBeenCalledWith([]);
    // Bisection: far fewer calls than one per message after the first refusal.
    expect(send.mock.calls.length).toBeLessThanOrEqual(1 + 2 * Math.ceil(Math.log2(ids.length)));
  });
});

describe('email batcher: reconciling jobs whose call had an unknown outcome', () => {
  const NOW = 1_000_000;
  /** A job whose earlier call `ref` ended (unanswered) `ageMs` before now. */
  const ambiguousClaim =
    (calls: { ref: string; ageMs: number }[]) =>
    async (jobId: string): Promise<ClaimResult> => ({
      kind: 'claimed',
      attempts: 2,
      ambiguous: true,
      history: [],
      hold: {
        ...holdOf(jobId, true),
        calls: calls.map(({ ref, ageMs }) => ({
          ref,
          at: NOW - ageMs - 10_000,
          endedAt: NOW - ageMs,
        })),
        current: { ref: 'call-1', at: NOW },
      },
    });
  const settled = [{ ref: 'old-call', ageMs: 200_000 }];
  const listing = (...entries: [string, string][]) =>
    jest.fn(
      async (): Promise<SearchOutcome> => ({
        kind: 'listed',
        messages: entries.map(([id, messageId]) => ({ jobKey: jobKey(id), messageId })),
      }),
    );
  const reconcilingDeps = (overrides: Partial<EmailBatcherDeps>) =>
    deps({
      now: () => NOW,
      ledger: {
        claim: jest.fn(ambiguousClaim(settled)),
        markSent: jest.fn(async () => 'done' as const),
        release: jest.fn(async () => 'done' as const),
      },
      ...overrides,
    });

  it('records the call reference with each claim and sends it in every message’s metadata', async () => {
    const d = deps();
    await makeEmailBatcher(d)({ Records: [record('a')] });
    expect(d.ledger.claim).toHaveBeenCalledWith(
      'a',
      expect.any(String),
      'claim',
      60_000,
      expect.any(String),
      {
        ref: 'call-1',
        at: 0,
      },
    );
    const [, messages] = (d.send as jest.Mock).mock.calls[0];
    expect(messages[0].Metadata).toEqual({ cs_job: jobKey('a'), cs_call: 'call-1' });
  });

  it('found at the provider: recorded sent with its MessageID, never sent again; one search per call', async () => {
    const search = listing(['a', 'pm-a'], ['b', 'pm-b']);
    const d = reconcilingDeps({ search });
    const result = await makeEmailBatcher(d)({ Records: [record('a'), record('b')] });

    expect(d.send).not.toHaveBeenCalled();
    expect(search).toHaveBeenCalledTimes(1);
    expect(search).toHaveBeenCalledWith('token', 'old-call');
    expect(d.ledger.markSent).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'a' }),
      'pm-a',
      expect.stringMatching(/found at the provider/),
    );
    expect(d.telemetry.counts.found).toBe(2);
    expect(result.batchItemFailures).toEqual([]);
  });

  it('listed twice: counted double-confirmed (and sent, not sent again)', async () => {
    const d = reconcilingDeps({ search: listing(['a', 'pm-1'], ['a', 'pm-2']) });
    await makeEmailBatcher(d)({ Records: [record('a')] });
    expect(d.send).not.toHaveBeenCalled();
    expect(d.telemetry.counts['double-confirmed']).toBe(1);
  });

  it('not found once its calls settled: sent in this attempt, counted resent-after-empty-search', async () => {
    const d = reconcilingDeps({ search: listing(['other', 'pm-x']) });
    await makeEmailBatcher(d)({ Records: [record('a')] });
    expect(d.send).toHaveBeenCalledTimes(1);
    expect(d.telemetry.counts['resent-after-empty-search']).toBe(1);
    expect(d.ledger.markSent).toHaveBeenCalledWith(expect.objectContaining({ jobId: 'a' }), 'pm-0');
  });

  it('a search that fails, or a call younger than the settle window: waits without an attempt or a receive', async () => {
    for (const [search, calls] of [
      [
        jest.fn(
          async (): Promise<SearchOutcome> => ({
            kind: 'failed',
            detail: 'search answered 429',
            retryAfterSeconds: 9,
          }),
        ),
        settled,
      ],
      [listing(), [{ ref: 'young-call', ageMs: 5000 }]],
    ] as const) {
      const d = reconcilingDeps({
        search,
        ledger: {
          claim: jest.fn(ambiguousClaim([...calls])),
          markSent: jest.fn(),
          release: jest.fn(async () => 'done' as const),
        },
      });
      const result = await makeEmailBatcher(d)({ Records: [record('a', 1)] });
      expect(d.send).not.toHaveBeenCalled();
      // Status unknown, attempt refunded, this attempt's call not kept (it never left).
      expect(d.ledger.release).toHaveBeenCalledWith(
        expect.objectContaining({ jobId: 'a' }),
        'unknown',
        expect.any(String),
        true,
        false,
      );
      expect(d.defer).toHaveBeenCalledWith([
        expect.objectContaining({
          attempts: 1,
          record: expect.objectContaining({ messageId: 'msg-a' }),
        }),
      ]);
      expect(result.batchItemFailures).toEqual([]);
    }
  });

  it('searches a young call too: found, the wait ends early; empty, the job waits for the settle window', async () => {
    const young = [{ ref: 'young-call', ageMs: 5000 }];
    const ledger = () => ({
      claim: jest.fn(ambiguousClaim(young)),
      markSent: jest.fn(async () => 'done' as const),
      release: jest.fn(async () => 'done' as const),
    });
    const found = reconcilingDeps({ search: listing(['a', 'pm-a']), ledger: ledger() });
    await makeEmailBatcher(found)({ Records: [record('a')] });
    expect(found.send).not.toHaveBeenCalled();
    expect(found.telemetry.counts.found).toBe(1);

    const empty = reconcilingDeps({ search: listing(), ledger: ledger() });
    await makeEmailBatcher(empty)({ Records: [record('a')] });
    expect(empty.send).not.toHaveBeenCalled();
    // It ended 5 s ago and settles 120 s after it ended: 115 s to wait.
    expect(empty.defer).toHaveBeenCalledWith([expect.objectContaining({ delaySeconds: 115 })]);
  });

  it('unreconciled past the limit: dead-lettered ambiguous-unreconciled, unsent', async () => {
    const d = reconcilingDeps({
      search: jest.fn(
        async (): Promise<SearchOutcome> => ({ kind: 'failed', detail: 'search answered 500' }),
      ),
      ledger: {
        claim: jest.fn(ambiguousClaim([{ ref: 'ancient', ageMs: 90_000_000 }])),
        markSent: jest.fn(),
        release: jest.fn(async () => 'done' as const),
      },
    });
    await makeEmailBatcher(d)({ Records: [record('a')] });
    expect(d.send).not.toHaveBeenCalled();
    expect(d.deadLetter).toHaveBeenCalledWith(
      expect.objectContaining({ messageId: 'msg-a' }),
      expect.objectContaining({ reasonCode: 'ambiguous-unreconciled', ambiguous: true }),
    );
  });

  it('without a search (switched off): sent again, counted resent-without-search', async () => {
    const d = reconcilingDeps({});
    await makeEmailBatcher(d)({ Records: [record('a')] });
    expect(d.send).toHaveBeenCalledTimes(1);
    expect(d.telemetry.counts['resent-without-search']).toBe(1);
  });

  it('a call that ends unanswered keeps its reference on record and waits the settle window, not the backoff', async () => {
    const d = deps({
      send: jest.fn(
        async (): Promise<CallOutcome> => ({
          kind: 'retry',
          detail: 'no answer',
          maybeDelivered: true,
        }),
      ),
    });
    await makeEmailBatcher(d)({ Records: [record('a')] });
    expect(d.ledger.release).toHaveBeenCalledWith(
      expect.objectContaining({ jobId: 'a' }),
      'unknown',
      'no answer',
    );
    expect(d.defer).toHaveBeenCalledWith([expect.objectContaining({ delaySeconds: 121 })]);
    expect(d.telemetry.counts.ambiguous).toBe(1);
  });
});
