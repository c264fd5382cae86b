import type { SQSRecord } from 'aws-lambda';
import {
  type EmailBatcherDeps,
  makeEmailBatcher,
} from '../../../../functions/email-batcher/batcher';
import type { CallOutcome } from '../../../../functions/email-batcher/postmark';
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

function deps(overrides: Partial<EmailBatcherDeps> = {}) {
  const claimed: ClaimResult = { kind: 'claimed', attempts: 1, ambiguous: false, history: [] };
  const base: EmailBatcherDeps = {
    ledger: {
      claim: jest.fn(async () => claimed),
      markSent: jest.fn(async () => {}),
      release: jest.fn(async () => {}),
    },
    bucket: { take: jest.fn(async (want: number) => want) },
    pause: { remainingMs: jest.fn(async () => 0), pause: jest.fn(async () => {}) },
    send: jest.fn(
      async (_token, messages): Promise<CallOutcome> => ({
        kind: 'results',
        results: messages.map((_, index) => ({ ErrorCode: 0, MessageID: `pm-${index}` })),
      }),
    ),
    token: { current: async () => 'token', refresh: async () => undefined },
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
    const d = deps({ pause: { remainingMs: jest.fn(async () => 42_000), pause: jest.fn() } });
    const result = await makeEmailBatcher(d)({ Records: [record('a'), record('b', 2)] });

    expect(result.batchItemFailures).toEqual([]);
    expect(d.ledger.claim).not.toHaveBeenCalled();
    expect(d.send).not.toHaveBeenCalled();
    expect(d.defer).toHaveBeenCalledWith([
      expect.objectContaining({ delaySeconds: 42, attempts: 0 }),
      expect.objectContaining({ delaySeconds: 42, attempts: 2 }),
    ]);
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
    expect(d.defer).toHaveBeenCalledWith([
      expect.objectContaining({ delaySeconds: 300, attempts: 0 }),
      expect.objectContaining({ delaySeconds: 300, attempts: 0 }),
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
      expect(d.ledger.markSent).toHaveBeenCalledWith(id, `pm-${id}@example.test`);
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
