import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  PurgeQueueCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  pause,
  receive as receiveFrom,
  send as sendTo,
  TestQueues,
} from '../helpers/sqs/test-queues';
import { localClientOptions, localStack, queueArn, queueUrl } from '../helpers/stack/local-stack';

// The message and queue API of SQS the suite relies on, checked against the local stack's emulator
// (delivery is in sqs-conformance.test.ts).
jest.setTimeout(30_000);

const sqs = new SQSClient({ ...localClientOptions(), maxAttempts: 1 });
const queues = new TestQueues(sqs, 'test-conformance-api');
const receive = (url: string, input?: Partial<ReceiveMessageCommandInput>) =>
  receiveFrom(sqs, url, input);
const send = (url: string, body: string, delaySeconds?: number) =>
  sendTo(sqs, url, body, delaySeconds);

afterAll(async () => {
  await queues.deleteAll();
  sqs.destroy();
});

describe('SQS emulator: batches', () => {
  it('sends a batch and reports each entry by its Id', async () => {
    const { url } = await queues.create();
    const { Successful = [], Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: ['a', 'b', 'c'].map((body) => ({ Id: `id-${body}`, MessageBody: body })),
      }),
    );

    expect(Failed).toEqual([]);
    expect(Successful.map((entry) => entry.Id).sort()).toEqual(['id-a', 'id-b', 'id-c']);
    expect(Successful.every((entry) => /^[0-9a-f]{32}$/.test(entry.MD5OfMessageBody ?? ''))).toBe(
      true,
    );
    expect((await queues.counts(url)).visible).toBe(3);
  });

  it('deletes a batch entry by entry: an invalid receipt handle fails only its own entry', async () => {
    const { url } = await queues.create({ VisibilityTimeout: '1' });
    await send(url, 'to-delete');
    const [message] = await receive(url);

    const { Successful = [], Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: [
          { Id: 'good', ReceiptHandle: message?.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'not-a-receipt-handle' },
        ],
      }),
    );
    await pause(1300);

    expect(Successful.map((entry) => entry.Id)).toEqual(['good']);
    expect(Failed).toEqual([expect.objectContaining({ Id: 'bad', SenderFault: true })]);
    expect(await receive(url)).toEqual([]);
  });
});

describe('SQS emulator: attributes', () => {
  it('round-trips String, Number and Binary message attributes and the system attributes asked for', async () => {
    const { url } = await queues.create();
    const binary = Uint8Array.from([0, 1, 2, 250, 255]);
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'with-attributes',
        MessageAttributes: {
          correlationId: { DataType: 'String', StringValue: 'corr-1' },
          attempts: { DataType: 'Number', StringValue: '3' },
          blob: { DataType: 'Binary', BinaryValue: binary },
        },
      }),
    );

    const [message] = await receive(url, {
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    });

    expect(message?.MessageAttributes?.correlationId).toMatchObject({
      DataType: 'String',
      StringValue: 'corr-1',
    });
    expect(message?.MessageAttributes?.attempts).toMatchObject({
      DataType: 'Number',
      StringValue: '3',
    });
    expect(Buffer.from(message?.MessageAttributes?.blob?.BinaryValue ?? [])).toEqual(
      Buffer.from(binary),
    );
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(message?.Attributes?.SentTimestamp).toMatch(/^\d+$/);
  });

  it('reports visible, in-flight and delayed messages in the approximate counts', async () => {
    const { url } = await queues.create({ VisibilityTimeout: '30' });
    await send(url, 'in-flight');
    await receive(url);
    await send(url, 'visible');
    await send(url, 'delayed', 30);

    expect(await queues.counts(url)).toEqual({ visible: 1, notVisible: 1, delayed: 1 });
  });
});

describe('SQS emulator: queues', () => {
  it('purges every message of a queue', async () => {
    const { url } = await queues.create();
    await send(url, 'one');
    await send(url, 'two');

    await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));

    expect(await receive(url)).toEqual([]);
    expect((await queues.counts(url)).visible).toBe(0);
  });

  it('answers a call on a queue that does not exist with QueueDoesNotExist', async () => {
    const { url } = await queues.create();
    const missing = `${url}-missing`;

    const error = await send(missing, 'nowhere').then(
      () => undefined,
      (caught: Error) => caught,
    );

    expect(error?.name).toMatch(/^(QueueDoesNotExist|AWS\.SimpleQueueService\.NonExistentQueue)$/);
  });

  it("refuses a message over the queue's MaximumMessageSize of 256 KiB and accepts one at it", async () => {
    const { url } = await queues.create({ MaximumMessageSize: String(256 * 1024) });

    const atLimit = await send(url, 'x'.repeat(256 * 1024));
    const error = await send(url, 'x'.repeat(256 * 1024 + 1)).then(
      () => undefined,
      (caught: Error) => caught,
    );

    expect(atLimit.MessageId).toEqual(expect.any(String));
    expect(error).toBeInstanceOf(Error);
    expect((await queues.counts(url)).visible).toBe(1);
  });
});

describe('local stack queues', () => {
  it('creates the queues of resources/ with their attributes, at the URLs the stack reports', async () => {
    const stage = localStack().stage;
    // The workflow queue keeps the local stage's short visibility timeout (the email queue's is set
    // for its batcher).
    const url = queueUrl('workflow-jobs');

    const { QueueUrl } = await sqs.send(
      new GetQueueUrlCommand({ QueueName: `connector-suite-${stage}-workflow-jobs` }),
    );
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
    );

    expect(QueueUrl).toBe(url);
    expect(Attributes).toMatchObject({
      QueueArn: queueArn('workflow-jobs'),
      VisibilityTimeout: '5',
      MessageRetentionPeriod: '345600',
    });
    expect(JSON.parse(Attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: queueArn('workflow-jobs-dlq'),
      maxReceiveCount: 3,
    });
  });
});
