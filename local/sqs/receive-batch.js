const { receiveMessages, sleep } = require('./queue-calls');
const { eventPayloadBytes, toSqsRecord } = require('./lambda-event');

/**
 * @typedef {import('@aws-sdk/client-sqs').Message} Message
 * @typedef {import('aws-lambda').SQSRecord} SQSRecord
 * @typedef {{ messages: Message[], records: SQSRecord[], overflow: Message[] }} Batch
 *
 * @typedef {object} BatchSettings how an event source receives one batch
 * @property {import('./queue-calls').QueueTarget} target
 * @property {string} queueArn
 * @property {string} region
 * @property {number} batchSize
 * @property {number} windowMs the batching window, counted from the first message held
 * @property {number} waitTimeSeconds the long-poll wait while no message is held
 * @property {number} maxPayloadBytes cap on the invocation's event
 * @property {number} idleDelayMs pause between short polls that brought nothing
 * @property {AbortSignal} signal aborts the polls and pauses (the event source's stop())
 * @property {() => boolean} running false once the event source stops
 */

/**
 * Receives one batch the way Lambda's SQS poller does: until the batch is full, the next record
 * would pass the payload cap, or the batching window (counted from the first message) ends. The
 * messages cut by the cap come back as `overflow`, for the caller to hand back to the queue.
 * @param {BatchSettings} settings
 * @returns {Promise<Batch>}
 */
async function receiveBatch(settings) {
  const { target, batchSize, windowMs, maxPayloadBytes, idleDelayMs, signal } = settings;
  const source = { queueArn: settings.queueArn, region: settings.region };
  /** @type {Map<string, { message: Message, record: SQSRecord, bytes: number }>} */
  const byId = new Map();
  /** @type {Message[]} */
  const overflow = [];
  /** @type {number | undefined} */
  let deadline;
  while (settings.running() && byId.size < batchSize && overflow.length === 0) {
    // Inside a batching window (once a message is held) it short-polls with a pause instead of
    // long-polling: a stop then has no long poll to abort, and an aborted long poll could otherwise
    // still be handed the very messages the stop releases, before the emulator sees its client gone.
    const wait = deadline === undefined ? settings.waitTimeSeconds : 0;
    /** @type {Message[]} */
    let received;
    try {
      received = await receiveMessages(target, {
        max: Math.min(10, batchSize - byId.size),
        waitTimeSeconds: wait,
        signal,
      });
    } catch (error) {
      // Messages already received are not dropped (stop() aborts polls inside a batching window):
      // the caller invokes them, or hands them back when stopping.
      if (byId.size === 0) throw error;
      break;
    }
    for (const message of received) {
      const id = /** @type {string} */ (message.MessageId);
      const record = toSqsRecord(message, source);
      const bytes = Buffer.byteLength(JSON.stringify(record));
      const others = [...byId.entries()].filter(([other]) => other !== id);
      const total = eventPayloadBytes([...others.map(([, entry]) => entry.bytes), bytes]);
      // A record alone over the cap is still invoked: nothing smaller can be made of it.
      if (overflow.length > 0 || (total > maxPayloadBytes && others.length > 0)) {
        overflow.push(message);
        continue;
      }
      // A message seen twice (its visibility ran out meanwhile) keeps its latest receipt handle.
      byId.set(id, { message, record, bytes });
    }
    if (byId.size === 0) break;
    deadline ??= Date.now() + windowMs;
    const left = deadline - Date.now();
    if (left <= 0) break;
    if (received.length === 0 && wait === 0) {
      await sleep(Math.min(idleDelayMs, left), signal);
    }
  }
  const entries = [...byId.values()];
  return {
    messages: entries.map((entry) => entry.message),
    records: entries.map((entry) => entry.record),
    overflow,
  };
}

module.exports = { receiveBatch };
