import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { localClientOptions } from '../helpers/local-stack';
import { pause, TestQueues } from '../helpers/sqs-test-queues';

// The behaviours of SQS the suite relies on, checked against the local stack's emulator. Waits are a
// little longer than the 1 s visibility timeouts and delays they outlast.
jest.setTimeout(30_000);

// Long polls below last up to 20 s: the request timeout must outlast them.
const sqs = new SQSClient({ ...localClientOptions(25_000), maxAttempts: 1 });
const queues = new TestQueues(sqs, 'test-conformance');

afterAll(async () => {
  await queues.deleteAll();
  sqs.destroy();
});

async function receive(queueUrl: string, input: Partial<ReceiveMessageCommandInput> = {}) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, ...input }),
  );
  return Messages;
}

const send = (queueUrl: string, body: string, delaySeconds?: number) =>
  sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }),
  );

const receiveCounts = (messages: Message[]) =>
  messages.map((message) => message.Attributes?.ApproximateReceiveCount);

describe('SQS emulator: visibility', () => {
  it('hides a received message for the visibility timeout, then hands it out again', async () => {
    const { url } = await queues.create({ VisibilityTimeout: '1' });
    await send(url, 'hidden');

    const first = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });
    const during = await receive(url);
    await pause(1300);
    const after = await receive(url, { MessageSystemAttributeNames: ['ApproximateReceiveCount'] });

    expect(first.map((m) => m.Body)).toEqual(['hidden']);
    expect(during).toEqual([]);
    expect(after.map((m) => m.MessageId)).toEqual(first.map((m) => m.MessageId));
    expect(receiveCounts(after)).toEqual(['2']);
  });

  it('never returns a message twice in one answer when the receive sets VisibilityTimeout 0', async () => {
    const { queue, dlq } = await queues.createWithDlq(3);
    await send(queue.url, 'once');

    const messages = await receive(queue.url, {
      VisibilityTimeout: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    const again = await receive(queue.url, {
      VisibilityTimeout: 0,
      MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });

    expect(messages.map((m) => m.Body)).toEqual(['once']);
    expect(receiveCounts(messages)).toEqual(['1']);
    expect(receiveCounts(again)).toEqual(['2']);
    expect((await queues.counts(dlq.url)).visible).toBe(0);
  });

  it('makes a message visible at once with ChangeMessageVisibility 0 and hides it longer when raised', async () => {
    const { url } = await queues.create({ VisibilityTimeout: '30' });
    await send(url, 'released');
    await send(url, 'extended');
    const received = await receive(url, { VisibilityTimeout: 1 });
    const handle = (body: string) => received.find((m) => m.Body === body)?.ReceiptHandle;

    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: handle('released'),
        VisibilityTimeout: 0,
      }),
    );
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: handle('extended'),
        VisibilityTimeout: 20,
      }),
    );
    const atOnce = await receive(url, { VisibilityTimeout: 30 });
    await pause(1300);
    const later = await receive(url);

    expect(received).toHaveLength(2);
    expect(atOnce.map((m) => m.Body)).toEqual(['released']);
    expect(later).toEqual([]);
  });
});

describe('SQS emulator: receive count and redrive', () => {
  it('counts every receive and moves the message to the DLQ after maxReceiveCount receives', async () => {
    const { queue, dlq } = await queues.createWithDlq(2, { VisibilityTimeout: '1' });
    await send(queue.url, 'poison');
    const attributes = { MessageSystemAttributeNames: ['ApproximateReceiveCount' as const] };

    const first = await receive(queue.url, attributes);
    await pause(1300);
    const second = await receive(queue.url, attributes);
    await pause(1300);
    const third = await receive(queue.url, attributes);
    const deadLetters = await receive(dlq.url);

    expect(receiveCounts(first)).toEqual(['1']);
    expect(receiveCounts(second)).toEqual(['2']);
    expect(third).toEqual([]);
    expect(deadLetters.map((m) => m.Body)).toEqual(['poison']);
    expect(await queues.counts(queue.url)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  });
});

describe('SQS emulator: delays', () => {
  it('holds a message back for its own DelaySeconds', async () => {
    const { url } = await queues.create();
    await send(url, 'later', 1);

    const early = await receive(url);
    const counts = await queues.counts(url);
    await pause(1300);
    const late = await receive(url);

    expect(early).toEqual([]);
    expect(counts.delayed).toBe(1);
    expect(late.map((m) => m.Body)).toEqual(['later']);
  });

  it("holds every message back for the queue's DelaySeconds", async () => {
    const { url } = await queues.create({ DelaySeconds: '1' });
    await send(url, 'queued-later');

    const early = await receive(url);
    await pause(1300);
    const late = await receive(url);

    expect(early).toEqual([]);
    expect(late.map((m) => m.Body)).toEqual(['queued-later']);
  });
});

describe('SQS emulator: long polling', () => {
  it('answers a 20 s long poll as soon as one message arrives, without waiting for a full batch', async () => {
    const { url } = await queues.create();
    const started = Date.now();
    const polled = receive(url, { WaitTimeSeconds: 20 }).then((messages) => ({
      messages,
      elapsed: Date.now() - started,
    }));
    await pause(300);
    await send(url, 'prompt');

    const { messages, elapsed } = await polled;

    expect(messages.map((m) => m.Body)).toEqual(['prompt']);
    // Far from the 20 s the poll could last: it returned on arrival, not at the end of the wait.
    expect(elapsed).toBeLessThan(10_000);
  });

  it('hands one message to exactly one of two concurrent long polls', async () => {
    const { url } = await queues.create({ VisibilityTimeout: '30' });
    const polls = [receive(url, { WaitTimeSeconds: 2 }), receive(url, { WaitTimeSeconds: 2 })];
    await pause(300);
    await send(url, 'only-one');

    const answers = await Promise.all(polls);

    expect(answers.flat().map((m) => m.Body)).toEqual(['only-one']);
  });

  it('gives no message to a long poll whose client has gone', async () => {
    const { url } = await queues.create();
    const abort = new AbortController();
    const abandoned = sqs
      .send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }), {
        abortSignal: abort.signal,
      })
      .catch((error: Error) => error);
    await pause(200);
    abort.abort();
    await abandoned;
    await pause(100);
    await send(url, 'not-for-the-gone');
    await pause(300);

    expect(await queues.counts(url)).toEqual({ visible: 1, notVisible: 0, delayed: 0 });
  });
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
