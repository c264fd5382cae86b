import { createHash } from 'node:crypto';
import { parseJsonExact } from '../../../shared/json/exact';
import {
  canonicalJson,
  legacyWorkflowJobFingerprint,
  parseWorkflowJob,
  workflowJobFingerprint,
} from '../../../shared/messages/workflow-job-schema';

describe('workflow job fingerprint', () => {
  const job = {
    workflow: 'payments',
    input: {
      source: 'stripe',
      eventId: 'evt_1',
      receivedAt: '2026-01-01T00:00:00.000Z',
      payload: { a: 1 },
    },
  };

  it('ignores receivedAt, so a webhook retried after a 503 is absorbed rather than dead-lettered', () => {
    const retried = { ...job, input: { ...job.input, receivedAt: '2026-01-01T00:00:09.000Z' } };

    expect(workflowJobFingerprint(retried)).toBe(workflowJobFingerprint(job));
  });

  it('differs when what the workflow receives differs', () => {
    const other = { ...job, input: { ...job.input, payload: { a: 2 } } };

    expect(workflowJobFingerprint(other)).not.toBe(workflowJobFingerprint(job));
    expect(workflowJobFingerprint({ ...job, workflow: 'orders' })).not.toBe(
      workflowJobFingerprint(job),
    );
  });
});

describe('workflow job fingerprint: canonical and versioned', () => {
  it('is the same for one input with its keys in another order, and different for another input', () => {
    const a = workflowJobFingerprint({ workflow: 'w', input: { a: 1, b: { c: 2, d: [3, 'x'] } } });
    const b = workflowJobFingerprint({ workflow: 'w', input: { b: { d: [3, 'x'], c: 2 }, a: 1 } });
    const other = workflowJobFingerprint({
      workflow: 'w',
      input: { a: 1, b: { c: 2, d: [3, 'y'] } },
    });
    expect(a).toBe(b);
    expect(a).not.toBe(other);
    expect(a.startsWith('v2:')).toBe(true);
  });

  it('keeps the version-1 fingerprint computable for jobs stored under it', () => {
    const job = { workflow: 'w', input: { b: 1, a: 2 } };
    expect(legacyWorkflowJobFingerprint(job)).not.toBe(workflowJobFingerprint(job));
    expect(legacyWorkflowJobFingerprint(job)).toMatch(/^[\w-]{43}$/);
  });

  it('writes canonical JSON: sorted keys, no whitespace', () => {
    expect(canonicalJson({ b: [1, { d: 'x', c: null }], a: 'é"' })).toBe(
      '{"a":"é\\"","b":[1,{"c":null,"d":"x"}]}',
    );
  });
});

describe('numbers beyond 2^53 compared by their source text', () => {
  const body = (id: string) =>
    `{"id":"api:w:k","workflow":"w","input":{"order":${id},"total":1.50,"n":7}}`;
  const parsed = (id: string) => {
    const result = parseWorkflowJob(body(id));
    if (!result.ok) throw new Error(result.reason);
    return result.job;
  };

  it('gives two different numbers beyond 2^53 two fingerprints (doubles would collapse them)', () => {
    expect(Number('9007199254740993')).toBe(Number('9007199254740992'));
    expect(workflowJobFingerprint(parsed('9007199254740993'))).not.toBe(
      workflowJobFingerprint(parsed('9007199254740992')),
    );
    expect(workflowJobFingerprint(parsed('9007199254740993'))).toBe(
      workflowJobFingerprint(parsed('9007199254740993')),
    );
  });

  it('writes the numbers back digit for digit, ordinary numbers as numbers', () => {
    const job = parsed('12345678901234567890123');
    expect(JSON.stringify(job.input)).toBe('{"order":12345678901234567890123,"total":1.50,"n":7}');
    expect(canonicalJson(parseJsonExact('{"b":9007199254740993,"a":[1e3]}'))).toBe(
      '{"a":[1e3],"b":9007199254740993}',
    );
    expect(job.input.n).toBe(7);
  });

  it('keeps the version-1 fingerprint of such a job as version 1 computed it, on doubles', () => {
    const job = parsed('9007199254740993');
    const asVersion1 = createHash('sha256')
      .update(JSON.stringify([job.workflow, JSON.parse(body('9007199254740993')).input]))
      .digest('base64url');
    expect(legacyWorkflowJobFingerprint(job)).toBe(asVersion1);
  });

  it('refuses a job whose input is a bare number', () => {
    expect(parseWorkflowJob('{"id":"x","workflow":"w","input":9007199254740993}')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('input'),
    });
  });
});
