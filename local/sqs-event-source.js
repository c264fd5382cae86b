const {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} = require('@aws-sdk/client-sqs');
const { failedMessageIds, toSqsRecord } = require('./sqs-lambda-event');

/**
 * @typedef {object} EventSourceLog
 * @property {(message: string) => void} debug
 * @property {(message: string) => void} warn
 *
 * @typedef {object} SqsEventSourceOptions
 * @property {import('@aws-sdk/client-sqs').SQSClient} sqs its request timeout must exceed
 *   `waitTimeSeconds` when that is set
 * @property {string} queueUrl
 * @property {string} [queueArn] looked up with GetQueueAttributes when not given
 * @property {string} [region]
 * @property {number} [batchSize] default 10
 * @property {number} [maximumBatchingWindow] seconds, default 0
 * @property {string} [functionResponseType] `ReportBatchItemFailures` to honour partial failures
 * @property {(event: import('aws-lambda').SQSEvent) => Promise<unknown>} invoke resolves with the
 *   function's result, rejects when the function failed
 * @property {number} [maxConcurrency] batches in flight at most when the queue is deep, default 2
 * @property {number} [waitTimeSeconds] long-poll wait, default 0 (see the class comment)
 * @property {number} [idleDelayMs] pause after an empty receive, default 200
 * @property {Partial<EventSourceLog>} [log]
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
 * Polls one queue and invokes a function with batches of records, the way Lambda's SQS event source
 * mapping does: long polling, batch size and batching window, deletion of the successful records only
 * (with `ReportBatchItemFailures`), whole-batch retry when the function fails. Visibility, delays and
 * redrive to the dead-letter queue are left to the queue itself. When a batch comes back full, another
 * poller joins (up to `maxConcurrency`) and leaves again once the queue is drained.
 *
 * It short-polls with a pause when the queue is empty, rather than long-polling: local-aws-sqs holds a
 * long poll open until the batch is full, so one message would wait the whole poll, and a message whose
 * visibility ends meanwhile is received again in the same answer, spending its redrive budget. An
 * aborted long poll also keeps taking messages after stop(). On real SQS a `waitTimeSeconds` below
 * the queue's visibility timeout is safe.
 */
class SqsEventSource {
  #sqs;
  #queueUrl;
  #queueArn;
  #region;
  #batchSize;
  #windowMs;
  #reportFailures;
  #invoke;
  #maxConcurrency;
  #waitTimeSeconds;
  #idleDelayMs;
  /** @type {EventSourceLog} */
  #log;
  #running = false;
  #abort = new AbortController();
  /** @type {Set<Promise<void>>} */
  #pollers = new Set();

  /** @param {SqsEventSourceOptions} options */
  constructor(options) {
    this.#sqs = options.sqs;
    this.#queueUrl = options.queueUrl;
    this.#queueArn = options.queueArn;
    this.#region = options.region ?? 'us-east-1';
    this.#batchSize = Math.max(1, Math.trunc(options.batchSize ?? 10));
    this.#windowMs = Math.max(0, (options.maximumBatchingWindow ?? 0) * 1000);
    this.#reportFailures = options.functionResponseType === 'ReportBatchItemFailures';
    this.#invoke = options.invoke;
    this.#maxConcurrency = Math.max(1, options.maxConcurrency ?? 2);
    this.#waitTimeSeconds = Math.min(20, Math.max(0, Math.trunc(options.waitTimeSeconds ?? 0)));
    this.#idleDelayMs = Math.max(10, options.idleDelayMs ?? 200);
    this.#log = { debug: () => {}, warn: (m) => console.warn(m), ...options.log };
  }

  /** Starts polling; resolves once the queue ARN is known and the first poller runs. */
  async start() {
    if (this.#running) return;
    if (!this.#queueArn) {
      const { Attributes } = await this.#sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.#queueUrl, AttributeNames: ['QueueArn'] }),
      );
      this.#queueArn = Attributes?.QueueArn ?? this.#queueUrl;
    }
    this.#running = true;
    this.#abort = new AbortController();
    this.#spawnPoller(true);
  }

  /** Stops polling now (long polls are aborted) and waits for batches in flight to settle. */
  async stop() {
    if (!this.#running) return;
    this.#running = false;
    this.#abort.abort();
    await Promise.allSettled([...this.#pollers]);
  }

  /** @param {boolean} primary the primary poller runs until stop(); others leave on an empty poll */
  #spawnPoller(primary) {
    const poller = this.#poll(primary)
      .catch((error) => this.#log.warn(`SQS poller for ${this.#queueUrl} crashed: ${error}`))
      .finally(() => this.#pollers.delete(poller));
    this.#pollers.add(poller);
  }

  /** @param {boolean} primary */
  async #poll(primary) {
    while (this.#running) {
      let messages;
      try {
        messages = await this.#collectBatch();
      } catch (error) {
        if (!this.#running) return;
        this.#log.warn(`Receiving from ${this.#queueUrl} failed, retrying: ${error}`);
        await sleep(1000, this.#abort.signal);
        continue;
      }
      if (messages.length === 0) {
        if (!primary) return;
        await sleep(this.#idleDelayMs, this.#abort.signal);
        continue;
      }
      if (messages.length >= this.#batchSize && this.#pollers.size < this.#maxConcurrency) {
        this.#spawnPoller(false);
      }
      await this.#process(messages);
    }
  }

  /**
   * Receives until the batch is full or the batching window (counted from the first message) ends.
   * @returns {Promise<import('@aws-sdk/client-sqs').Message[]>}
   */
  async #collectBatch() {
    /** @type {Map<string, import('@aws-sdk/client-sqs').Message>} */
    const byId = new Map();
    /** @type {number | undefined} */
    let deadline;
    while (this.#running && byId.size < this.#batchSize) {
      const remaining = deadline === undefined ? undefined : deadline - Date.now();
      const wait =
        remaining === undefined
          ? this.#waitTimeSeconds
          : Math.max(0, Math.min(this.#waitTimeSeconds, Math.floor(remaining / 1000)));
      const received = await this.#receive(Math.min(10, this.#batchSize - byId.size), wait);
      // A message seen twice (its visibility ran out meanwhile) keeps its latest receipt handle.
      for (const message of received) if (message.MessageId) byId.set(message.MessageId, message);
      if (byId.size === 0) return [];
      deadline ??= Date.now() + this.#windowMs;
      const left = deadline - Date.now();
      if (left <= 0) break;
      if (received.length === 0) await sleep(Math.min(this.#idleDelayMs, left), this.#abort.signal);
    }
    return [...byId.values()];
  }

  /**
   * @param {number} max
   * @param {number} waitTimeSeconds
   * @returns {Promise<import('@aws-sdk/client-sqs').Message[]>}
   */
  async #receive(max, waitTimeSeconds) {
    const { Messages = [] } = await this.#sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.#queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: waitTimeSeconds,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.#abort.signal },
    );
    return Messages;
  }

  /**
   * Invokes the function with one batch and deletes what succeeded.
   * @param {import('@aws-sdk/client-sqs').Message[]} messages
   */
  async #process(messages) {
    const source = { queueArn: /** @type {string} */ (this.#queueArn), region: this.#region };
    const ids = messages.map((message) => /** @type {string} */ (message.MessageId));
    let response;
    try {
      response = await this.#invoke({ Records: messages.map((m) => toSqsRecord(m, source)) });
    } catch (error) {
      this.#log.warn(`Batch of ${ids.length} from ${this.#queueUrl} failed, all retried: ${error}`);
      return;
    }
    const failed = this.#reportFailures ? failedMessageIds(response, ids) : new Set();
    if (failed === undefined) {
      this.#log.warn(
        `Invalid batchItemFailures from the function for ${this.#queueUrl}: all ${ids.length} ` +
          `records retried (${JSON.stringify(response)?.slice(0, 200)})`,
      );
      return;
    }
    const done = messages.filter(
      (message) => !failed.has(/** @type {string} */ (message.MessageId)),
    );
    this.#log.debug(
      `Batch of ${ids.length} from ${this.#queueUrl}: ${done.length} done, ${failed.size} retried`,
    );
    await this.#delete(done);
  }

  /** @param {import('@aws-sdk/client-sqs').Message[]} messages */
  async #delete(messages) {
    for (let start = 0; start < messages.length; start += 10) {
      const chunk = messages.slice(start, start + 10);
      try {
        const { Failed = [] } = await this.#sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#queueUrl,
            Entries: chunk.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
        for (const failure of Failed) {
          this.#log.warn(`Deleting a message from ${this.#queueUrl} failed: ${failure.Message}`);
        }
      } catch (error) {
        this.#log.warn(`Deleting ${chunk.length} messages from ${this.#queueUrl} failed: ${error}`);
      }
    }
  }
}

module.exports = { SqsEventSource };
