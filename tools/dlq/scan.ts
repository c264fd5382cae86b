import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** A dead letter the scan received and holds invisible. */
export interface HeldMessage {
  messageId: string;
  body: string;
  /** String message attributes. */
  attributes: Record<string, string>;
  /** When it entered the DLQ (ISO), from SQS's `SentTimestamp`. */
  sentAt: string;
  receiptHandle: string;
}

/** Receives that bring no new message id before the scan counts the DLQ as seen whole. */
const IDLE_ROUNDS = 2;

function held(message: Message): HeldMessage {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  const sent = Number(message.Attributes?.SentTimestamp ?? 0);
  return {
    messageId: message.MessageId ?? '',
    body: message.Body ?? '',
    attributes,
    sentAt: new Date(sent).toISOString(),
    receiptHandle: message.ReceiptHandle ?? '',
  };
}

/**
 * Reads a whole DLQ while holding what it has seen: every received message stays invisible (renewed
 * every third of `visibilitySeconds`) until it is deleted or released, so a second receive only brings
 * messages not seen yet, and the scan ends when receives bring no new id. If the process dies, SQS
 * makes the held messages visible again after at most `visibilitySeconds`: nothing is lost.
 */
export class DlqScan {
  readonly #held = new Map<string, HeldMessage>();
  readonly #sqs: SQSClient;
  readonly #url: string;
  readonly #visibility: number;
  #timer: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();

  constructor(sqs: SQSClient, dlqUrl: string, visibilitySeconds: number) {
    this.#sqs = sqs;
    this.#url = dlqUrl;
    this.#visibility = visibilitySeconds;
  }

  /** Receives until no new message id arrives; resolves to every message held. */
  async receiveAll(onProgress: (count: number) => void = () => {}): Promise<HeldMessage[]> {
    this.#timer ??= setInterval(() => this.#renew(), (this.#visibility * 1000) / 3);
    for (let idle = 0; idle < IDLE_ROUNDS; ) {
      const { Messages = [] } = await this.#sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          VisibilityTimeout: this.#visibility,
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      let fresh = 0;
      for (const message of Messages) {
        const letter = held(message);
        // A message handed out twice: the newest receipt handle is the one SQS honours.
        if (!this.#held.has(letter.messageId)) fresh += 1;
        this.#held.set(letter.messageId, letter);
      }
      idle = fresh === 0 ? idle + 1 : 0;
      onProgress(this.#held.size);
    }
    return [...this.#held.values()];
  }

  /** Deletes a held message from the DLQ (after it is safely elsewhere). */
  async delete(messageId: string): Promise<void> {
    const letter = this.#held.get(messageId);
    if (!letter) return;
    await this.#sqs.send(
      new DeleteMessageCommand({ QueueUrl: this.#url, ReceiptHandle: letter.receiptHandle }),
    );
    this.#held.delete(messageId);
  }

  /** Makes held messages visible again at once, untouched. */
  async release(messageIds: readonly string[]): Promise<void> {
    const letters = messageIds.flatMap((id) => this.#held.get(id) ?? []);
    for (const letter of letters) this.#held.delete(letter.messageId);
    await this.#changeVisibility(letters, 0);
  }

  /** Releases everything still held and stops renewing. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#renewing;
    await this.release([...this.#held.keys()]);
  }

  #renew(): void {
    this.#renewing = this.#renewing
      .then(() => this.#changeVisibility([...this.#held.values()], this.#visibility))
      .catch(() => {
        // A missed renewal only lets messages reappear early; the next one tries again.
      });
  }

  async #changeVisibility(letters: readonly HeldMessage[], seconds: number): Promise<void> {
    for (let start = 0; start < letters.length; start += 10) {
      const chunk = letters.slice(start, start + 10);
      await this.#sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.#url,
          Entries: chunk.map((letter, index) => ({
            Id: String(index),
            ReceiptHandle: letter.receiptHandle,
            VisibilityTimeout: seconds,
          })),
        }),
      );
    }
  }
}
