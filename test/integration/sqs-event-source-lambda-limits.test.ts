import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { sqsSubscriptions } from '../../local/sqs/event-wiring';
import { MAX_INVOCATION_PAYLOAD_BYTES } from '../../local/sqs/lambda-event';
import {
  EventSourceHarness,
  recordsOf,
  sightings,
  waitFor,
} from '../helpers/sqs/event-source-harness';
import { pause } from '../helpers/sqs/test-queues';

// The event source as Lambda runs it: 20 s long polls, maximumConcurrency, the 6 MB payload cap.
jest.setTimeout(30_000);

const harness = new EventSourceHarness();

afterEach(() => harness.stopSources());
afterAll(() => harness.close());

/** The most intervals that overlap at any instant. */
function mostOverlapping(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, step: 1 },
    { at: end, step: -1 },
  ]);
  // An invocation that ends at the instant another starts does not overlap it.
  edges.sort((a, b) => a.at - b.at || a.step - b.step);
  let current = 0;
  let most = 0;
  for (const edge of edges) {
    current += edge.step;
    most = Math.max(most, current);
  }
  return most;
}

describe('SQS event source long polling', () => {
  it('delivers a message sent during a 20 s long poll at once and invokes each message once', async () => {
    const { queueUrl } = await harness.createQueuePair();
    const { events } = await harness.startSource(queueUrl, async () => ({}), {
      waitTimeSeconds: 20,
    });

    // The poll is under way before each message is sent; each arrives long before it would end.
    for (const body of ['first', 'second', 'third']) {
      await pause(300);
      await harness.send(queueUrl, [body]);
      await waitFor(`${body} to be invoked`, () => sightings(events, body).length > 0, 5000);
    }
    // Quiet: no message left visible, in flight or delayed, so none can be handed out again.
    await waitFor('the queue to drain', async () => (await harness.messagesLeft(queueUrl)) === 0);

    expect(recordsOf(events).map((record) => record.body)).toEqual(['first', 'second', 'third']);
  });

  it('stops at once while a 20 s long poll is waiting, and takes no message after stop', async () => {
    const { queueUrl } = await harness.createQueuePair();
    const { source, events } = await harness.startSource(queueUrl, async () => ({}), {
      waitTimeSeconds: 20,
    });
    await pause(300);

    const started = Date.now();
    await source.stop();
    const stoppedAfter = Date.now() - started;
    await harness.send(queueUrl, ['after-stop']);
    await pause(500);

    expect(stoppedAfter).toBeLessThan(5000);
    expect(events).toHaveLength(0);
    expect(await harness.queues.counts(queueUrl)).toEqual({
      visible: 1,
      notVisible: 0,
      delayed: 0,
    });
  });
  it('hands back what it received inside a batching window when stopped, invoking nothing', async () => {
    const { queueUrl } = await harness.createQueuePair({ VisibilityTimeout: '30' });
    const { source, events, warnings } = await harness.startSource(queueUrl, async () => ({}), {
      maximumBatchingWindow: 10,
    });
    await harness.send(queueUrl, ['in-the-window']);
    await waitFor('the message to be received', async () => {
      return (await harness.queues.counts(queueUrl)).notVisible === 1;
    });
    // The emulator has handed the message out; give the event source time to read that answer (a
    // stop that aborts the receive before its answer is read leaves the message invisible until its
    // visibility timeout, as on AWS, which is not what this test is about). Generous: on two busy
    // cores the answer can take a while to be read.
    await pause(1500);

    await source.stop();
    // Handed back means visible again well before its 30 s visibility timeout would have done it.
    await waitFor(
      'the message to be visible again',
      async () => {
        return (await harness.queues.counts(queueUrl)).visible === 1;
      },
      5000,
    );

    expect(events).toHaveLength(0);
    expect(warnings).toEqual([]);
    expect(await harness.queues.counts(queueUrl)).toEqual({
      visible: 1,
      notVisible: 0,
      delayed: 0,
    });
  });
});

describe('SQS event source maximum concurrency', () => {
  it('never has more than maximumConcurrency invocations in flight, by the function’s own clock', async () => {
    const { queueUrl } = await harness.createQueuePair({ VisibilityTimeout: '10' });
    const bodies = Array.from({ length: 24 }, (_, index) => `busy-${index}`);
    await harness.send(queueUrl, bodies);
    const intervals: { start: number; end: number }[] = [];

    await harness.startSource(
      queueUrl,
      async () => {
        const start = Date.now();
        await pause(150);
        intervals.push({ start, end: Date.now() });
        return {};
      },
      { batchSize: 2, maxConcurrency: 3 },
    );
    await waitFor('the queue to drain', async () => (await harness.messagesLeft(queueUrl)) === 0);

    expect(intervals).toHaveLength(12);
    expect(mostOverlapping(intervals)).toBeLessThanOrEqual(3);
    // The cap is used, not just respected: the deep queue ran batches side by side.
    expect(mostOverlapping(intervals)).toBeGreaterThan(1);
  });

  it('reads maximumConcurrency from the sqs event of serverless.yml', () => {
    const queue = { logicalId: 'Jobs', name: 'jobs', url: 'http://q/jobs', arn: 'arn:jobs' };
    const service = {
      provider: { timeout: 6 },
      getAllFunctions: () => ['worker'],
      getFunction: () => ({
        name: 'svc-local-worker',
        events: [{ sqs: { arn: 'arn:jobs', batchSize: 5, maximumConcurrency: 4 } }],
      }),
    };
    const topology = {
      queues: [{ ...queue, properties: {} }],
      tables: [],
      resolve: (v: unknown) => v,
    };

    const [subscription] = sqsSubscriptions(service, topology, () => {});

    expect(subscription).toMatchObject({ functionKey: 'worker', maximumConcurrency: 4 });
  });
});

describe('SQS event source payload cap', () => {
  it('cuts a batch before the record that would pass 6 MB and delivers the rest in the next one', async () => {
    const { queueUrl } = await harness.createQueuePair({ VisibilityTimeout: '10' });
    // About 1 MB each: six fit under 6 MB, the seventh would pass it.
    const bodies = Array.from({ length: 8 }, (_, index) => `${index}:`.padEnd(1_000_000, 'x'));
    for (const body of bodies) {
      await harness.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    }
    const payloadBytes: number[] = [];

    const { events } = await harness.startSource(
      queueUrl,
      async (event: SQSEvent) => {
        payloadBytes.push(Buffer.byteLength(JSON.stringify(event)));
        return {};
      },
      { batchSize: 10, maximumBatchingWindow: 1 },
    );
    await waitFor('the queue to drain', async () => (await harness.messagesLeft(queueUrl)) === 0);

    expect(events.map((event) => event.Records.length)).toEqual([6, 2]);
    expect(payloadBytes.every((bytes) => bytes <= MAX_INVOCATION_PAYLOAD_BYTES)).toBe(true);
    expect(
      recordsOf(events)
        .map((record) => record.body)
        .sort(),
    ).toEqual([...bodies].sort());
  });
});
