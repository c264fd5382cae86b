/**
 * The local event source's journal: one JSON log entry per record it delivers to a function and per
 * record it settles, written to the local stack's log file beside the handlers' own lines, so
 * `npm run trace` can show each queue hop (which queue, which message, which receive).
 *
 * @typedef {object} JournalBatch one invocation's records and where to report them
 * @property {((entry: Record<string, unknown>) => void) | undefined} journal none: nothing is written
 * @property {string} queueUrl
 * @property {import('aws-lambda').SQSRecord[]} records
 */

/**
 * @param {JournalBatch} batch
 * @param {string} message
 * @param {(record: import('aws-lambda').SQSRecord) => Record<string, unknown>} extra
 * @returns {void}
 */
function journalRecords({ journal, queueUrl, records }, message, extra) {
  if (!journal) return;
  const queue = queueUrl.slice(queueUrl.lastIndexOf('/') + 1);
  for (const record of records) {
    journal({
      level: 'INFO',
      message,
      service: 'local-sqs-event-source',
      queue,
      messageId: record.messageId,
      correlationId: record.messageAttributes?.correlationId?.stringValue ?? record.messageId,
      ...extra(record),
    });
  }
}

/**
 * `sqs message delivered`, per record: its receive count, job id and the batch's size.
 * @param {JournalBatch} batch
 * @returns {void}
 */
function journalDelivered(batch) {
  journalRecords(batch, 'sqs message delivered', (record) => ({
    receiveCount: Number(record.attributes.ApproximateReceiveCount),
    jobId: jobIdOf(record.body),
    batchSize: batch.records.length,
  }));
}

/**
 * `sqs message settled`, per record: `deleted`, or `redelivered` when it is among `failed` or the
 * whole batch failed (`failed` undefined, with `error` saying why).
 * @param {JournalBatch} batch
 * @param {Set<string> | undefined} failed
 * @param {string} [error]
 * @returns {void}
 */
function journalSettled(batch, failed, error) {
  journalRecords(batch, 'sqs message settled', (record) =>
    failed === undefined
      ? { result: 'redelivered', error: String(error).slice(0, 300) }
      : { result: failed.has(record.messageId) ? 'redelivered' : 'deleted' },
  );
}

/**
 * The `id` of a job body; undefined when the body is not a job.
 * @param {string} body
 * @returns {string | undefined}
 */
function jobIdOf(body) {
  try {
    const id = JSON.parse(body)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

module.exports = { journalDelivered, journalSettled, jobIdOf };
