import { workflowJobFingerprint } from '../../../shared/messages/workflow-job-schema';

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
