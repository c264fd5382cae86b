import type { SQSRecord } from 'aws-lambda';
import {
  type EmailBatcherDeps,
  makeEmailBatcher,
} from '../../../../functions/email-batcher/batcher';
import type { CallOutcome } from '../../../../functions/email-batcher/postmark';
import type { PausePermit } from '../../../../functions/email-batcher/provider-pause';
import type { ClaimResult } from '../../../../shared/ledger/job-ledger';
import { recordingTelemetry } from '../../../helpers/email-telemetry';

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

function deps(overrides: Partial<EmailBatcherDeps> = {}) {
  const claimed: ClaimResult = { kind: 'claimed', attempts: 1, ambiguous: false, history: [] };
  const base: EmailBatcherDeps = {
    ledger: {
      claim: jest.fn(async () => claimed),
      markSent: jest.fn(async () => {}),
      release: jest.fn(async () => {}),
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
      sendAlignMs: 0,
    },
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

  it('claims only what the rate limit covers and defers the rest unclaimed, spending no attempt', async () => {
    const d = deps({
      bucket: { take: jest.fn(async () => 1) },
    });
    await makeEmailBatcher(d)({ Records: [record('a'), record('b')] });

    expect(d.ledger.claim).toHaveBeenCalledTimes(1);
    expect((d.send as jest.Mock).mock.calls[0][1]).toHaveLength(1);
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
    expect(d.ledger.release).toHaveBeenCalledWith('a', 'retry', 'ErrorCode 10', true);
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
        claim: jest.fn(async () => ({
          kind: 'claimed' as const,
          attempts: 3,
          ambiguous: false,
          history: ['t1 claimed', 't2 retry: answer 500'],
        })),
        markSent: jest.fn(),
        release: jest.fn(async () => {}),
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
    expect(d.ledger.markSent).toHaveBeenCalledWith('a', 'pm');
    expect(d.pause.pause).not.toHaveBeenCalled();
  });
});
