/**
 * What Lambda's SQS integration builds and reads: the event records from received messages, and the
 * set of messages to keep from a `ReportBatchItemFailures` response.
 */

/**
 * @param {Uint8Array | undefined} bytes
 * @returns {string | undefined}
 */
const base64 = (bytes) => (bytes ? Buffer.from(bytes).toString('base64') : undefined);

/**
 * One message attribute in Lambda's shape (lower camel case, binary as base64).
 * @param {import('@aws-sdk/client-sqs').MessageAttributeValue} value
 */
function lambdaMessageAttribute(value) {
  return {
    stringValue: value.StringValue,
    binaryValue: base64(value.BinaryValue),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType,
  };
}

/**
 * The Lambda SQS record for a received message.
 * @param {import('@aws-sdk/client-sqs').Message} message
 * @param {{ queueArn: string, region: string }} source
 * @returns {import('aws-lambda').SQSRecord}
 */
function toSqsRecord(message, { queueArn, region }) {
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      lambdaMessageAttribute(value),
    ]),
  );
  /** @type {any} */
  const record = {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body ?? '',
    attributes: { ...message.Attributes },
    messageAttributes,
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes)
    record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/**
 * Reads a `ReportBatchItemFailures` response the way Lambda documents it.
 *
 * Success for the whole batch: no response, an empty object, or an empty / null `batchItemFailures`.
 * Failure for the whole batch (`undefined` is returned, nothing may be deleted): a response that is not
 * an object, `batchItemFailures` that is not a list, an entry without a non-empty string
 * `itemIdentifier`, or an identifier that is not a message of this batch.
 * @param {unknown} response the function's result
 * @param {string[]} messageIds the batch
 * @returns {Set<string> | undefined} ids of the messages that failed, or undefined for the whole batch
 */
function failedMessageIds(response, messageIds) {
  if (response === null || response === undefined) return new Set();
  if (typeof response !== 'object' || Array.isArray(response)) return undefined;
  const failures = /** @type {{ batchItemFailures?: unknown }} */ (response).batchItemFailures;
  if (failures === null || failures === undefined) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const known = new Set(messageIds);
  const failed = new Set();
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !known.has(id)) return undefined;
    failed.add(id);
  }
  return failed;
}

/** Lambda's cap on a synchronous invocation's payload: 6 MB (6 MiB, as Lambda counts it). */
const MAX_INVOCATION_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** Bytes of `{"Records":[` and `]}` around the records of an SQS event. */
const EVENT_ENVELOPE_BYTES = Buffer.byteLength(JSON.stringify({ Records: [] }));

/**
 * Bytes of the SQS event's JSON for records of the given JSON sizes (commas between them included).
 * @param {number[]} recordBytes each record's `Buffer.byteLength(JSON.stringify(record))`
 * @returns {number}
 */
function eventPayloadBytes(recordBytes) {
  const commas = Math.max(0, recordBytes.length - 1);
  return recordBytes.reduce((sum, bytes) => sum + bytes, EVENT_ENVELOPE_BYTES + commas);
}

module.exports = {
  toSqsRecord,
  failedMessageIds,
  eventPayloadBytes,
  MAX_INVOCATION_PAYLOAD_BYTES,
};
