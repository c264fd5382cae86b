import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  type QueueAttributeName,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** A queue a test created for itself in the local SQS emulator. */
export interface TestQueue {
  url: string;
  arn: string;
}

/**
 * Creates uniquely named queues in the local emulator and deletes them all again: each test gets
 * its own queues, so no test sees another's messages.
 */
export class TestQueues {
  readonly #sqs: SQSClient;
  readonly #prefix: string;
  readonly #created: string[] = [];

  constructor(sqs: SQSClient, prefix: string) {
    this.#sqs = sqs;
    this.#prefix = prefix;
  }

  /** A fresh queue with the given attributes (strings, as the API takes them). */
  async create(attributes: Record<string, string> = {}, suffix = ''): Promise<TestQueue> {
    const name = `${this.#prefix}-${randomUUID().slice(0, 8)}${suffix}`;
    const { QueueUrl } = await this.#sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
    );
    const url = QueueUrl as string;
    this.#created.push(url);
    return { url, arn: await this.attribute(url, 'QueueArn') };
  }

  /** A queue whose messages move to a fresh DLQ after `maxReceiveCount` receives. */
  async createWithDlq(maxReceiveCount: number, attributes: Record<string, string> = {}) {
    const dlq = await this.create({}, '-dlq');
    const queue = await this.create({
      ...attributes,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }),
    });
    return { queue, dlq };
  }

  /** One attribute of a queue, '' when the emulator does not report it. */
  async attribute(url: string, name: QueueAttributeName): Promise<string> {
    const { Attributes } = await this.#sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: [name] }),
    );
    return Attributes?.[name] ?? '';
  }

  /** The three approximate counts, as numbers. */
  async counts(url: string) {
    const { Attributes = {} } = await this.#sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages),
      notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
      delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
    };
  }

  /** Deletes every queue this instance created; a queue already gone is fine. */
  async deleteAll(): Promise<void> {
    for (const url of this.#created.splice(0)) {
      await this.#sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    }
  }
}

/** Waits `ms` milliseconds. */
export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** ReceiveMessage of up to 10 messages (more input merged in); resolves with the messages. */
export async function receive(
  sqs: SQSClient,
  queueUrl: string,
  input: Partial<ReceiveMessageCommandInput> = {},
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, ...input }),
  );
  return Messages;
}

/** SendMessage of one body, optionally delayed. */
export const send = (sqs: SQSClient, queueUrl: string, body: string, delaySeconds?: number) =>
  sqs.send(
    new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, DelaySeconds: delaySeconds }),
  );

/** The ApproximateReceiveCount of each message, as SQS reports it. */
export const receiveCounts = (messages: Message[]) =>
  messages.map((message) => message.Attributes?.ApproximateReceiveCount);

/**
 * Creates `<name>` with a DLQ `<name>-dlq` behind it (a 30 s visibility, redrive after
 * `maxReceiveCount` receives), as the deploy template pairs a job queue with its DLQ.
 */
export async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  maxReceiveCount: number,
): Promise<{ queueUrl: string; dlqUrl: string }> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqUrl = dlq.QueueUrl as string;
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount,
        }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl as string, dlqUrl };
}

/**
 * A harness's end: its queues deleted (a queue already gone is fine) and every client it made
 * destroyed, `sqs` last, since it deletes the queues.
 */
export async function deleteQueuesAndClients(
  sqs: SQSClient,
  queueUrls: readonly string[],
  clients: readonly { destroy(): void }[],
): Promise<void> {
  for (const url of queueUrls) {
    if (url) await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
  }
  for (const client of clients) client.destroy();
  sqs.destroy();
}
