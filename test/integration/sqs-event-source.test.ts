import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import {
  EventSourceHarness,
  recordsOf,
  sightings,
  waitFor,
} from '../helpers/sqs/event-source-harness';

// Redrive takes a few visibility timeouts; every wait below is bounded by waitFor as well.
jest.setTimeout(30_000);

const harness = new EventSourceHarness();
const { sqs } = harness;
const createQueuePair = () => harness.createQueuePair();
const messagesLeft = (queueUrl: string) => harness.messagesLeft(queueUrl);
const send = (queueUrl: string, bodies: string[]) => harness.send(queueUrl, bodies);
const startSource: EventSourceHarness['startSource'] = (...args) => harness.startSource(...args);
const queueAttribute: EventSourceHarness['queues']['attribute'] = (...args) =>
  harness.queues.attribute(...args);

/** Each body was received exactly twice (a failed batch, then its retry) and none was dead-lettered. */
async function expectWholeBatchRetriedOnce(events: SQSEvent[], bodies: string[], dlqUrl: string) {
  for (const body of bodies) {
    expect(sightings(events, body).map((r) => r.attributes.ApproximateReceiveCount)).toEqual([
      '1',
      '2',
    ]);
  }
  expect(await messagesLeft(dlqUrl)).toBe(0);
}

afterEach(() => harness.stopSources());
afterAll(() => harness.close());

describe('SQS event source', () => {
  it('deletes the successful records and redelivers only the reported failure until it is dead-lettered', async () => {
    const { queueUrl, dlqUrl } = await createQueuePair();
    await send(queueUrl, ['ok-1', 'ok-2', 'fails']);

    const { events } = await startSource(queueUrl, async (event) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'fails').map((r) => ({
        itemIdentifier: r.messageId,
      })),
    }));
    await waitFor('the failing record in the DLQ', async () => (await messagesLeft(dlqUrl)) === 1);
    await waitFor('the source queue to drain', async () => (await messagesLeft(queueUrl)) === 0);

    const first = events[0]?.Records ?? [];
    expect(first.map((record) => record.body).sort()).toEqual(['fails', 'ok-1', 'ok-2']);
    expect(sightings(events, 'ok-1')).toHaveLength(1);
    expect(sightings(events, 'ok-2')).toHaveLength(1);
    expect(
      sightings(events, 'fails').map((record) => record.attributes.ApproximateReceiveCount),
    ).toEqual(['1', '2', '3']);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages.map((message) => message.Body)).toEqual(['fails']);
  });

  it('builds records in the shape Lambda gives them', async () => {
    const { queueUrl } = await createQueuePair();
    await send(queueUrl, ['shape']);

    const { events } = await startSource(queueUrl, async () => ({ batchItemFailures: [] }));
    await waitFor('one invocation', () => events.length === 1);

    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      body: 'shape',
      eventSource: 'aws:sqs',
      eventSourceARN: await queueAttribute(queueUrl, 'QueueArn'),
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {
        correlationId: { stringValue: 'corr-shape', dataType: 'String', stringListValues: [] },
      },
    });
    expect(record?.messageId).toEqual(expect.any(String));
    expect(record?.receiptHandle).toEqual(expect.any(String));
    expect(record?.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
  });

  it('redelivers the whole batch when the function throws', async () => {
    const { queueUrl, dlqUrl } = await createQueuePair();
    await send(queueUrl, ['a', 'b']);

    const { events } = await startSource(queueUrl, async (_event, call) => {
      if (call === 1) throw new Error('function crashed');
      return { batchItemFailures: [] };
    });
    await waitFor('both records to be seen twice', () =>
      ['a', 'b'].every((body) => sightings(events, body).length === 2),
    );
    await waitFor('the source queue to drain', async () => (await messagesLeft(queueUrl)) === 0);

    expect(events[0]?.Records.map((record) => record.body).sort()).toEqual(['a', 'b']);
    await expectWholeBatchRetriedOnce(events, ['a', 'b'], dlqUrl);
  });

  it('treats an itemIdentifier that is not in the batch as a failure of the whole batch', async () => {
    const { queueUrl, dlqUrl } = await createQueuePair();
    await send(queueUrl, ['x', 'y']);

    const { events } = await startSource(queueUrl, async (_event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] } : {},
    );
    await waitFor('both records to be seen twice', () =>
      ['x', 'y'].every((body) => sightings(events, body).length === 2),
    );
    await waitFor('the source queue to drain', async () => (await messagesLeft(queueUrl)) === 0);

    await expectWholeBatchRetriedOnce(events, ['x', 'y'], dlqUrl);
  });

  it('runs more than one batch at a time when the queue is deep', async () => {
    const { queueUrl } = await createQueuePair();
    const bodies = Array.from({ length: 30 }, (_, index) => `deep-${index}`);
    for (let start = 0; start < bodies.length; start += 10) {
      await send(queueUrl, bodies.slice(start, start + 10));
    }
    let inFlight = 0;
    let mostInFlight = 0;

    const { events } = await startSource(
      queueUrl,
      async () => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 300));
        inFlight -= 1;
        return {};
      },
      { batchSize: 5, maxConcurrency: 3 },
    );
    await waitFor('the queue to drain', async () => (await messagesLeft(queueUrl)) === 0);

    expect(mostInFlight).toBeGreaterThan(1);
    expect(mostInFlight).toBeLessThanOrEqual(3);
    expect(new Set(recordsOf(events).map((record) => record.body))).toEqual(new Set(bodies));
    expect(events.every((event) => event.Records.length <= 5)).toBe(true);
  });

  it('stops polling when stopped, leaving new messages in the queue', async () => {
    const { queueUrl } = await createQueuePair();
    const { source, events } = await startSource(queueUrl, async () => ({}));

    await source.stop();
    await send(queueUrl, ['after-stop']);
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(events).toHaveLength(0);
    expect(await queueAttribute(queueUrl, 'ApproximateNumberOfMessages')).toBe('1');
  });
});
