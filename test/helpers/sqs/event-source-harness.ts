import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { SqsEventSource } from '../../../local/sqs/event-source';
import { localClientOptions } from '../stack/local-stack';
import { waitFor as waitUntil } from '../wait';
import { TestQueues } from './test-queues';

/** Options of the event source a test starts (the rest are the local stack's defaults). */
export interface SourceOptions {
  batchSize?: number;
  maximumBatchingWindow?: number;
  maxConcurrency?: number;
  waitTimeSeconds?: number;
}

/**
 * Event sources on test queues of the local emulator, whose "function" is a test's callback: every
 * event it receives is recorded. `close()` stops the sources and deletes the queues.
 */
export class EventSourceHarness {
  // The sources long-poll for up to 20 s: the request timeout must outlast that.
  readonly sqs = new SQSClient(localClientOptions(25_000));
  readonly queues = new TestQueues(this.sqs, 'test-event-source');
  readonly #sources: SqsEventSource[] = [];

  /** A fresh queue and DLQ: visibility 1 s unless given, redrive after 3 receives. */
  async createQueuePair(attributes: Record<string, string> = {}) {
    const { queue, dlq } = await this.queues.createWithDlq(3, {
      VisibilityTimeout: '1',
      ...attributes,
    });
    return { queueUrl: queue.url, dlqUrl: dlq.url };
  }

  /** Messages still in the queue, visible, in flight or delayed. */
  async messagesLeft(queueUrl: string): Promise<number> {
    const { visible, notVisible, delayed } = await this.queues.counts(queueUrl);
    return visible + notVisible + delayed;
  }

  /** Sends the bodies in batches of 10, each with a `correlationId` attribute. */
  async send(
    queueUrl: string,
    bodies: string[],
    attributes: Record<string, MessageAttributeValue> = {},
  ) {
    for (let start = 0; start < bodies.length; start += 10) {
      await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: bodies.slice(start, start + 10).map((body, index) => ({
            Id: String(index),
            MessageBody: body,
            MessageAttributes: {
              correlationId: { DataType: 'String', StringValue: `corr-${body.slice(0, 20)}` },
              ...attributes,
            },
          })),
        }),
      );
    }
  }

  /** Starts an event source on `queueUrl` whose function is `handle`; every event is recorded. */
  async startSource(
    queueUrl: string,
    handle: (event: SQSEvent, call: number) => Promise<unknown>,
    options: SourceOptions = {},
  ) {
    const events: SQSEvent[] = [];
    const warnings: string[] = [];
    const source = new SqsEventSource({
      sqs: this.sqs,
      queueUrl,
      batchSize: options.batchSize ?? 10,
      maximumBatchingWindow: options.maximumBatchingWindow ?? 0,
      maxConcurrency: options.maxConcurrency,
      waitTimeSeconds: options.waitTimeSeconds,
      functionResponseType: 'ReportBatchItemFailures',
      invoke: async (event) => {
        events.push(event);
        return handle(event, events.length);
      },
      log: { debug: () => {}, warn: (message: string) => warnings.push(message) },
    });
    this.#sources.push(source);
    await source.start();
    return { source, events, warnings };
  }

  /** Stops every source started so far. */
  async stopSources() {
    await Promise.all(this.#sources.splice(0).map((source) => source.stop()));
  }

  async close() {
    await this.stopSources();
    await this.queues.deleteAll();
    this.sqs.destroy();
  }
}

/** Polls `check` every 50 ms until it holds, failing with `what` after `timeoutMs`. */
export const waitFor = (
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> => waitUntil(what, check, timeoutMs, 50);

/** Every record the function saw, in order. */
export const recordsOf = (events: SQSEvent[]): SQSRecord[] =>
  events.flatMap((event) => event.Records);

/** The records of one body, in the order the function saw them. */
export const sightings = (events: SQSEvent[], body: string) =>
  recordsOf(events).filter((record) => record.body === body);
