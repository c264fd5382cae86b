const { GetQueueAttributesCommand } = require('@aws-sdk/client-sqs');
const { invokeBatch } = require('./invoke-batch');
const { MAX_INVOCATION_PAYLOAD_BYTES } = require('./lambda-event');
const { releaseMessages, sleep } = require('./queue-calls');
const { receiveBatch } = require('./receive-batch');

/**
 * @typedef {object} EventSourceLog
 * @property {(message: string) => void} debug
 * @property {(message: string) => void} warn
 *
 * @typedef {object} SqsEventSourceOptions
 * @property {import('@aws-sdk/client-sqs').SQSClient} sqs its request timeout must exceed
 *   `waitTimeSeconds`
 * @property {string} queueUrl
 * @property {string} [queueArn] looked up with GetQueueAttributes when not given
 * @property {string} [region]
 * @property {number} [batchSize] default 10
 * @property {number} [maximumBatchingWindow] seconds, default 0
 * @property {string} [functionResponseType] `ReportBatchItemFailures` to honour partial failures
 * @property {(event: import('aws-lambda').SQSEvent) => Promise<unknown>} invoke resolves with the
 *   function's result, rejects when the function failed
 * @property {number} [maxConcurrency] invocations in flight at most (the event's
 *   `maximumConcurrency`), default 2
 * @property {number} [waitTimeSeconds] long-poll wait, default 20 as Lambda's pollers use
 * @property {number} [maxPayloadBytes] cap on an invocation's event, default Lambda's 6 MB
 * @property {number} [idleDelayMs] pause between short polls (waitTimeSeconds 0), default 200
 * @property {Partial<EventSourceLog>} [log]
 * @property {(entry: Record<string, unknown>) => void} [journal] receives one JSON log entry per
 *   record delivered and per record settled (the queue hops `npm run trace` shows)
 */

/**
 * Polls one queue and invokes a function with batches of records, the way Lambda's SQS event source
 * mapping does: long polls of up to 20 s, batch size and batching window, the 6 MB payload cap (a
 * batch is cut before the record that would pass it; the records cut are handed back to the queue
 * with ChangeMessageVisibility 0, which costs them one receive), deletion of the successful records
 * only (with `ReportBatchItemFailures`), whole-batch retry when the function fails. Visibility,
 * delays and redrive to the dead-letter queue are left to the queue itself.
 *
 * One poller runs all the time; when a batch comes back full another joins, up to `maxConcurrency`
 * pollers, and leaves again on an empty poll. Each poller invokes one batch at a time, so no more
 * than `maxConcurrency` invocations are ever in flight, as with Lambda's `maximumConcurrency`.
 * stop() aborts the long polls; the emulator then hands an aborted poll nothing.
 *
 * This file runs the pollers; receiving one batch is in receive-batch.js, invoking the function
 * with it and deleting what succeeded in invoke-batch.js.
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
  #maxPayloadBytes;
  #idleDelayMs;
  /** @type {EventSourceLog} */
  #log;
  #running = false;
  #abort = new AbortController();
  /** @type {Set<Promise<void>>} */
  #pollers = new Set();
  /** @type {import('./queue-calls').QueueTarget} */
  #target;
  /** @type {((entry: Record<string, unknown>) => void) | undefined} */
  #journal;

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
    this.#maxConcurrency = Math.max(1, Math.trunc(options.maxConcurrency ?? 2));
    this.#waitTimeSeconds = Math.min(20, Math.max(0, Math.trunc(options.waitTimeSeconds ?? 20)));
    this.#maxPayloadBytes = options.maxPayloadBytes ?? MAX_INVOCATION_PAYLOAD_BYTES;
    this.#idleDelayMs = Math.max(10, options.idleDelayMs ?? 200);
    this.#log = { debug: () => {}, warn: (m) => console.warn(m), ...options.log };
    this.#target = { sqs: this.#sqs, queueUrl: this.#queueUrl, warn: (m) => this.#log.warn(m) };
    this.#journal = options.journal;
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
      /** @type {import('./receive-batch').Batch} */
      let batch;
      try {
        batch = await this.#collectBatch();
      } catch (error) {
        if (!this.#running) return;
        this.#log.warn(`Receiving from ${this.#queueUrl} failed, retrying: ${error}`);
        await sleep(1000, this.#abort.signal);
        continue;
      }
      const { messages, records, overflow } = batch;
      if (!this.#running) {
        // Received while stopping: back to the queue rather than invoked after stop().
        await releaseMessages(this.#target, [...messages, ...overflow]);
        return;
      }
      if (overflow.length > 0) {
        this.#log.debug(
          `Batch from ${this.#queueUrl} cut at ${this.#maxPayloadBytes} bytes: ` +
            `${messages.length} records invoked, ${overflow.length} handed back`,
        );
        await releaseMessages(this.#target, overflow);
      }
      if (messages.length === 0) {
        if (!primary) return;
        if (this.#waitTimeSeconds === 0) await sleep(this.#idleDelayMs, this.#abort.signal);
        continue;
      }
      const full = messages.length >= this.#batchSize || overflow.length > 0;
      if (full && this.#pollers.size < this.#maxConcurrency) this.#spawnPoller(false);
      await this.#process(messages, records);
    }
  }

  /** @returns {Promise<import('./receive-batch').Batch>} */
  #collectBatch() {
    return receiveBatch({
      target: this.#target,
      queueArn: /** @type {string} */ (this.#queueArn),
      region: this.#region,
      batchSize: this.#batchSize,
      windowMs: this.#windowMs,
      waitTimeSeconds: this.#waitTimeSeconds,
      maxPayloadBytes: this.#maxPayloadBytes,
      idleDelayMs: this.#idleDelayMs,
      signal: this.#abort.signal,
      running: () => this.#running,
    });
  }

  /**
   * @param {import('@aws-sdk/client-sqs').Message[]} messages
   * @param {import('aws-lambda').SQSRecord[]} records the event records of `messages`, in order
   */
  #process(messages, records) {
    const settings = {
      target: this.#target,
      invoke: this.#invoke,
      reportFailures: this.#reportFailures,
      log: this.#log,
      journal: this.#journal,
    };
    return invokeBatch(settings, messages, records);
  }
}

module.exports = { SqsEventSource };
