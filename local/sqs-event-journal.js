/**
 * The local event source's journal: one JSON log entry per record it delivers to a function and per
 * record it settles, written to the local stack's log file beside the handlers' own lines, so
 * `npm run trace` can show each queue hop (which queue, which message, which receive).
 */

/**
 * @param {(entry: Record<string, unknown>) => void} journal
 * @param {string} queueUrl
 * @param {import('aws-lambda').SQSRecord[]} records
 * @param {string} message `sqs message delivered` or `sqs message settled`
 * @param {(record: import('aws-lambda').SQSRecord) => Record<string, unknown>} [extra]
 * @returns {void}
 */
function journalRecords(journal, queueUrl, records, message, extra = () => ({})) {
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

module.exports = { journalRecords, jobIdOf };
