import type { SQSRecord } from 'aws-lambda';
import { journalDelivered, journalSettled } from '../../../../local/sqs/event-journal';

const QUEUE_URL = 'http://127.0.0.1:9324/000000000000/connector-suite-local-workflow-jobs';

function record(messageId: string, correlationId?: string, receiveCount = '1'): SQSRecord {
  return {
    messageId,
    body: JSON.stringify({ id: `job-${messageId}`, workflow: 'w', input: {} }),
    attributes: { ApproximateReceiveCount: receiveCount },
    messageAttributes: correlationId
      ? { correlationId: { stringValue: correlationId, dataType: 'String' } }
      : {},
  } as unknown as SQSRecord;
}

describe('local event source journal', () => {
  it('writes one delivery entry per record: queue, message, correlation id, receive and job', () => {
    const entries: Record<string, unknown>[] = [];
    const records = [record('m-1', 'c-1', '2'), record('m-2')];

    journalDelivered({ journal: (entry) => entries.push(entry), queueUrl: QUEUE_URL, records });

    expect(entries).toEqual([
      {
        level: 'INFO',
        message: 'sqs message delivered',
        service: 'local-sqs-event-source',
        queue: 'connector-suite-local-workflow-jobs',
        messageId: 'm-1',
        correlationId: 'c-1',
        receiveCount: 2,
        jobId: 'job-m-1',
        batchSize: 2,
      },
      expect.objectContaining({ messageId: 'm-2', correlationId: 'm-2', receiveCount: 1 }),
    ]);
  });

  it('says which records were deleted and which are left for redelivery', () => {
    const entries: Record<string, unknown>[] = [];
    const batch = {
      journal: (entry: Record<string, unknown>) => entries.push(entry),
      queueUrl: QUEUE_URL,
      records: [record('m-1', 'c-1'), record('m-2', 'c-2')],
    };

    journalSettled(batch, new Set(['m-2']));
    journalSettled(batch, undefined, 'the invocation failed: boom');

    expect(entries.map((e) => [e.messageId, e.result, e.error])).toEqual([
      ['m-1', 'deleted', undefined],
      ['m-2', 'redelivered', undefined],
      ['m-1', 'redelivered', 'the invocation failed: boom'],
      ['m-2', 'redelivered', 'the invocation failed: boom'],
    ]);
  });

  it('writes nothing without a journal', () => {
    expect(() =>
      journalSettled(
        { journal: undefined, queueUrl: QUEUE_URL, records: [record('m')] },
        new Set(),
      ),
    ).not.toThrow();
  });
});
