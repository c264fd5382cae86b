import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  pause,
  receiveCounts,
  receive as receiveFrom,
  send as sendTo,
  TestQueues,
} from '../helpers/sqs/test-queues';
import { localClientOptions } from '../helpers/stack/local-stack';

// The behaviours of SQS the suite relies on, checked against the local stack's emulator: delivery
// (this file) and the message and queue API (sqs-conformance-api.test.ts). Waits are a little longer
// than the 1 s visibility timeouts and delays they outlast.
jest.setTimeout(30_000);

// Long polls below last up to 20 s: the request timeout must outlast them.
const sqs = new SQSClient({ ...localClientOptions(25_000), maxAttempts: 1 });
const queues = new TestQueues(sqs, 'test-conformance');
const receive = (url: string, input?: Partial<ReceiveMessageCommandInput>) =>
  receiveFrom(sqs, url, input);
const send = (queueUrl: string, body: string, delaySeconds?: number) =>
  sendTo(sqs, queueUrl, body, delaySeconds);

afterAll(async () => {
  await queues.deleteAll();
  sqs.destroy();
});

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
