import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DependencyError } from '../../../../shared/errors';
import {
  messageSize,
  type OutgoingMessage,
  sendMessages,
} from '../../../../shared/queue/send-messages';

const EMAIL = 'https://sqs.us-east-1.amazonaws.com/123456789012/connector-suite-prod-email-jobs';
const WORKFLOW =
  'https://sqs.us-east-1.amazonaws.com/123456789012/connector-suite-prod-workflow-jobs';
const LIMIT = 262_144;

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });

function message(queueUrl: string, body: string, attributes: Record<string, string> = {}) {
  return { queueUrl, body, attributes } satisfies OutgoingMessage;
}

/** The input of every SendMessageBatch call made. */
function batchesSent(): SendMessageBatchCommandInput[] {
  return sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
}

/** The error `promise` rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<DependencyError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

afterAll(() => sqsMock.restore());

beforeEach(() => {
  sqsMock.reset();
  sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('messageSize', () => {
  it('counts body bytes in UTF-8 plus each attribute name, its type and value', () => {
    const size = messageSize({ body: 'héllo', attributes: { source: 'api', eventType: 'é' } });

    expect(size).toBe(6 + ('source'.length + 6 + 3) + ('eventType'.length + 6 + 2));
  });

  it('is the body length alone without attributes', () => {
    expect(messageSize({ body: '{"id":"1"}', attributes: {} })).toBe(10);
  });
});

describe('sendMessages', () => {
  it("answers each message's SQS message id and job id, in the order given", async () => {
    sqsMock.on(SendMessageBatchCommand, { QueueUrl: EMAIL }).resolves({
      Successful: [
        { Id: '2', MessageId: 'm-c', MD5OfMessageBody: 'x' },
        { Id: '0', MessageId: 'm-a', MD5OfMessageBody: 'x' },
      ],
      Failed: [],
    });
    sqsMock.on(SendMessageBatchCommand, { QueueUrl: WORKFLOW }).resolves({
      Successful: [{ Id: '1', MessageId: 'm-b', MD5OfMessageBody: 'x' }],
      Failed: [],
    });

    const queued = await sendMessages(
      sqs,
      [
        { ...message(EMAIL, '{"id":"a"}'), jobId: 'a' },
        { ...message(WORKFLOW, '{"id":"b"}'), jobId: 'b' },
        message(EMAIL, '{"id":"c"}'),
      ],
      LIMIT,
    );

    expect(queued).toEqual([
      { queueUrl: EMAIL, messageId: 'm-a', jobId: 'a' },
      { queueUrl: WORKFLOW, messageId: 'm-b', jobId: 'b' },
      { queueUrl: EMAIL, messageId: 'm-c' },
    ]);
    expect(batchesSent().flatMap((batch) => batch.Entries ?? [])).not.toContainEqual(
      expect.objectContaining({ jobId: expect.anything() }),
    );
  });

  it('sends nothing when there is nothing to send', async () => {
    await sendMessages(sqs, [], LIMIT);

    expect(batchesSent()).toHaveLength(0);
  });

  it('sends one batch per queue, with string attributes and entry ids unique in the call', async () => {
    await sendMessages(
      sqs,
      [
        message(EMAIL, '{"id":"a"}', { correlationId: 'c-1', source: 'stripe' }),
        message(WORKFLOW, '{"id":"b"}', { correlationId: 'c-1' }),
        message(EMAIL, '{"id":"c"}'),
      ],
      LIMIT,
    );

    const batches = batchesSent();
    expect(batches).toHaveLength(2);
    expect(batches.find((b) => b.QueueUrl === EMAIL)?.Entries).toEqual([
      {
        Id: '0',
        MessageBody: '{"id":"a"}',
        MessageAttributes: {
          correlationId: { DataType: 'String', StringValue: 'c-1' },
          source: { DataType: 'String', StringValue: 'stripe' },
        },
      },
      { Id: '2', MessageBody: '{"id":"c"}', MessageAttributes: {} },
    ]);
    expect(batches.find((b) => b.QueueUrl === WORKFLOW)?.Entries).toEqual([
      {
        Id: '1',
        MessageBody: '{"id":"b"}',
        MessageAttributes: { correlationId: { DataType: 'String', StringValue: 'c-1' } },
      },
    ]);
  });

  it('puts at most 10 entries in one batch', async () => {
    const messages = Array.from({ length: 23 }, (_, i) => message(EMAIL, `{"id":"${i}"}`));

    await sendMessages(sqs, messages, LIMIT);

    const sizes = batchesSent().map((batch) => batch.Entries?.length);
    expect(sizes).toEqual([10, 10, 3]);
    const bodies = batchesSent().flatMap((batch) => batch.Entries?.map((e) => e.MessageBody));
    expect(new Set(bodies).size).toBe(23);
  });

  it('keeps each batch within the byte limit', async () => {
    const limit = 100;
    const body = 'x'.repeat(30);
    const messages = Array.from({ length: 7 }, () => message(EMAIL, body, { k: 'v' }));
    const size = messageSize(messages[0] as OutgoingMessage);

    await sendMessages(sqs, messages, limit);

    const batches = batchesSent();
    expect(size).toBe(38);
    expect(batches.map((batch) => batch.Entries?.length)).toEqual([2, 2, 2, 1]);
    for (const batch of batches) {
      const bytes = (batch.Entries ?? []).reduce(
        (sum, entry) =>
          sum + messageSize({ body: entry.MessageBody ?? '', attributes: { k: 'v' } }),
        0,
      );
      expect(bytes).toBeLessThanOrEqual(limit);
    }
  });

  it('fills a batch exactly to the byte limit', async () => {
    await sendMessages(sqs, [message(EMAIL, 'x'.repeat(50)), message(EMAIL, 'y'.repeat(50))], 100);

    expect(batchesSent().map((batch) => batch.Entries?.length)).toEqual([2]);
  });

  it('sends a message over the byte limit on its own, leaving the limit to SQS', async () => {
    await sendMessages(sqs, [message(EMAIL, 'x'.repeat(150)), message(EMAIL, 'small')], 100);

    expect(batchesSent().map((batch) => batch.Entries?.length)).toEqual([1, 1]);
  });

  it('turns a rejected call into a retryable 503 whose message reveals nothing', async () => {
    const cause = new Error(`Access denied to ${EMAIL} for arn:aws:iam::123456789012:role/ingest`);
    sqsMock.on(SendMessageBatchCommand).rejects(cause);

    const error = await rejectionOf(
      sendMessages(sqs, [message(EMAIL, '{"secret":"s3cr3t"}')], LIMIT),
    );

    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('The queue is unavailable');
    expect(error.cause).toBe(cause);
  });

  it('sends every batch even when one of them fails', async () => {
    sqsMock.on(SendMessageBatchCommand, { QueueUrl: WORKFLOW }).rejects(new Error('timeout'));

    await rejectionOf(
      sendMessages(sqs, [message(EMAIL, '{"id":"a"}'), message(WORKFLOW, '{"id":"b"}')], LIMIT),
    );

    expect(
      batchesSent()
        .map((batch) => batch.QueueUrl)
        .sort(),
    ).toEqual([EMAIL, WORKFLOW]);
  });

  it('turns a Failed entry into a retryable 503 naming only the error codes', async () => {
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: 'x' }],
      Failed: [
        {
          Id: '1',
          Code: 'InvalidParameterValue',
          SenderFault: true,
          Message: 'Message body contains "s3cr3t"',
        },
        { Id: '2', Code: 'InternalError', SenderFault: false, Message: 'internal 10.0.0.9' },
      ],
    });
    const messages = ['a', 'b', 'c'].map((id) =>
      message(EMAIL, `{"id":"${id}","secret":"s3cr3t"}`),
    );

    const error = await rejectionOf(sendMessages(sqs, messages, LIMIT));

    expect(error.status).toBe(503);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe('The queue refused a message');
    expect((error.cause as Error).message).toBe('InvalidParameterValue, InternalError');
    expect(`${error.message} ${(error.cause as Error).message}`).not.toMatch(/s3cr3t|10\.0\.0\.9/);
  });
});
