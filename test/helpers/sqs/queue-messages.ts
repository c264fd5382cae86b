import { type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Receives every message in a queue (bounded: 50 receives, or two empty ones in a row), leaving them
 * invisible for `visibilityTimeout` seconds (the queue's own when not given; a long one makes sure
 * each message is seen once).
 */
export async function drain(
  sqs: SQSClient,
  queueUrl: string,
  options: { visibilityTimeout?: number } = {},
): Promise<Message[]> {
  const messages: Message[] = [];
  for (let empty = 0, round = 0; empty < 2 && round < 50; round += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageAttributeNames: ['All'],
        AttributeNames: ['All'],
        ...(options.visibilityTimeout === undefined
          ? {}
          : { VisibilityTimeout: options.visibilityTimeout }),
      }),
    );
    empty = Messages.length === 0 ? empty + 1 : 0;
    messages.push(...Messages);
  }
  return messages;
}
