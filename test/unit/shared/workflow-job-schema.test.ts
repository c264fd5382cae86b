import {
  canonicalJson,
  legacyWorkflowJobFingerprint,
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
