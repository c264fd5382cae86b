const { journalDelivered, journalSettled } = require('./event-journal');
const { deleteMessages } = require('./queue-calls');
const { failedMessageIds } = require('./lambda-event');

/**
 * @typedef {import('@aws-sdk/client-sqs').Message} Message
 * @typedef {import('aws-lambda').SQSRecord} SQSRecord
 *
 * @typedef {object} InvokeSettings how an event source invokes its function and settles a batch
 * @property {import('./queue-calls').QueueTarget} target
 * @property {(event: import('aws-lambda').SQSEvent) => Promise<unknown>} invoke
 * @property {boolean} reportFailures honour `batchItemFailures` (`ReportBatchItemFailures`)
 * @property {{ debug: (message: string) => void, warn: (message: string) => void }} log
 * @property {((entry: Record<string, unknown>) => void) | undefined} journal
 */

/**
 * Invokes the function with one batch and deletes what succeeded, as Lambda's SQS integration does:
 * with `ReportBatchItemFailures` the records the function names stay on the queue; a failed
 * invocation, or a response whose `batchItemFailures` cannot be read, leaves the whole batch there
 * for the queue to hand out again after its visibility timeout.
 * @param {InvokeSettings} settings
 * @param {Message[]} messages
 * @param {SQSRecord[]} records the event records of `messages`, in the same order
 */
async function invokeBatch(settings, messages, records) {
  const { target, log } = settings;
  const ids = messages.map((message) => /** @type {string} */ (message.MessageId));
  const journal = { journal: settings.journal, queueUrl: target.queueUrl, records };
  journalDelivered(journal);
  let response;
  try {
    response = await settings.invoke({ Records: records });
  } catch (error) {
    log.warn(`Batch of ${ids.length} from ${target.queueUrl} failed, all retried: ${error}`);
    journalSettled(journal, undefined, `the invocation failed: ${error}`);
    return;
  }
  const failed = settings.reportFailures ? failedMessageIds(response, ids) : new Set();
  if (failed === undefined) {
    log.warn(
      `Invalid batchItemFailures from the function for ${target.queueUrl}: all ${ids.length} ` +
        `records retried (${JSON.stringify(response)?.slice(0, 200)})`,
    );
    journalSettled(journal, undefined, 'invalid batchItemFailures');
    return;
  }
  journalSettled(journal, failed);
  const done = messages.filter((message) => !failed.has(/** @type {string} */ (message.MessageId)));
  log.debug(
    `Batch of ${ids.length} from ${target.queueUrl}: ${done.length} done, ${failed.size} retried`,
  );
  await deleteMessages(target, done);
}

module.exports = { invokeBatch };
