import { factsOf, matches, replayAttributes } from '../../../../tools/dlq/letters';
import { redact } from '../../../../tools/dlq/output/redact';
import type { HeldMessage } from '../../../../tools/dlq/scan';

const letter = (attributes: Record<string, string>, body = '{"id":"job-1"}'): HeldMessage => ({
  messageId: 'm-1',
  body,
  attributes,
  sentAt: '2026-05-01T10:00:00.000Z',
  receiptHandle: 'r-1',
});

describe('dead letters as replay sees them', () => {
  const indexed = letter({
    reason: 'engine answered 500',
    reasonCode: 'attempts-exhausted',
    attempts: '8',
    jobId: 'job-1',
    source: 'stripe',
    eventType: 'invoice.paid',
    correlationId: 'corr-1',
    notBefore: '0',
  });

  it('goes back with its own attributes and without the dead-letter ones', () => {
    expect(replayAttributes(indexed)).toEqual({
      source: 'stripe',
      eventType: 'invoice.paid',
      correlationId: 'corr-1',
      notBefore: '0',
    });
  });

  it('matches only when every filter given matches', () => {
    expect(matches(indexed, { source: 'stripe', reasonCode: 'attempts-exhausted' })).toBe(true);
    expect(matches(indexed, { source: 'stripe', eventType: 'push' })).toBe(false);
    expect(matches(indexed, { since: '2026-05-01T09:00:00.000Z' })).toBe(true);
    expect(matches(indexed, { until: '2026-05-01T09:00:00.000Z' })).toBe(false);
  });

  it('takes a message the redrive moved as reason "redrive", its job id from the body', () => {
    expect(factsOf(letter({ source: 'github' }))).toEqual({
      source: 'github',
      eventType: 'unknown',
      reasonCode: 'redrive',
      jobId: 'job-1',
      ambiguous: false,
    });
    expect(factsOf(letter({}, 'not json')).jobId).toBeUndefined();
  });

  it('reads the ambiguous mark a dead letter may carry', () => {
    expect(factsOf(letter({ ambiguous: 'true' })).ambiguous).toBe(true);
    expect(factsOf(letter({ ambiguous: 'no' })).ambiguous).toBe(false);
  });
});

describe('redaction of printed reasons', () => {
  it.each([
    ['provider said 401 for Bearer abc.def-123', 'provider said 401 for Bearer [redacted]'],
    ['secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'secret whsec_[redacted]'],
    ['call failed: token=s3cr3t, retrying', 'call failed: token=[redacted], retrying'],
    ['{"apiKey": "xyz"}', '{"apiKey": "[redacted]"}'],
  ])('redacts %j', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('leaves an ordinary reason alone', () => {
    const reason = 'engine answered 500 after 4 attempt(s); history: 2026-05-01T10:00:00Z claimed';
    expect(redact(reason)).toBe(reason);
  });
});
