const {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} = require('@aws-sdk/client-sqs');

/**
 * The SQS calls of the local event source, on one queue. Batch calls never throw: a failure is
 * logged, and the messages concerned come back after their visibility timeout as SQS intends.
 *
 * @typedef {import('@aws-sdk/client-sqs').Message} Message
 * @typedef {{ sqs: import('@aws-sdk/client-sqs').SQSClient, queueUrl: string,
 *   warn: (message: string) => void }} QueueTarget
 */

/**
 * Waits `ms`, or less when `signal` aborts.
 * @param {number} ms
 * @param {AbortSignal} signal
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Splits messages into the groups of at most 10 that SQS batch calls take.
 * @param {Message[]} messages
 * @returns {Message[][]}
 */
function chunks(messages) {
  /** @type {Message[][]} */
  const groups = [];
  for (let start = 0; start < messages.length; start += 10) {
    groups.push(messages.slice(start, start + 10));
  }
  return groups;
}

/**
 * One ReceiveMessage with every attribute Lambda puts in its records; `signal` aborts a long poll.
 * @param {QueueTarget} target
 * @param {{ max: number, waitTimeSeconds: number, signal: AbortSignal }} options
 * @returns {Promise<Message[]>}
 */
async function receiveMessages({ sqs, queueUrl }, { max, waitTimeSeconds, signal }) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      WaitTimeSeconds: waitTimeSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
    { abortSignal: signal },
  );
  return Messages;
}

/**
 * Makes received messages visible again at once (ChangeMessageVisibility 0).
 * @param {QueueTarget} target
 * @param {Message[]} messages
 * @returns {Promise<void>}
 */
async function releaseMessages({ sqs, queueUrl, warn }, messages) {
  for (const chunk of chunks(messages)) {
    try {
      const { Failed = [] } = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: 0,
          })),
        }),
      );
      for (const failure of Failed) {
        warn(`Releasing a message of ${queueUrl} failed: ${failure.Message}`);
      }
    } catch (error) {
      warn(`Releasing ${chunk.length} messages of ${queueUrl} failed: ${error}`);
    }
  }
}

/**
 * Deletes received messages.
 * @param {QueueTarget} target
 * @param {Message[]} messages
 * @returns {Promise<void>}
 */
async function deleteMessages({ sqs, queueUrl, warn }, messages) {
  for (const chunk of chunks(messages)) {
    try {
      const { Failed = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      for (const failure of Failed) {
        warn(`Deleting a message from ${queueUrl} failed: ${failure.Message}`);
      }
    } catch (error) {
      warn(`Deleting ${chunk.length} messages from ${queueUrl} failed: ${error}`);
    }
  }
}

module.exports = { sleep, receiveMessages, releaseMessages, deleteMessages };
