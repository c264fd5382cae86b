import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import secrets from '../fixtures/secrets.json';
import sources from '../fixtures/sources.json';
import { sendUntilAccepted } from '../helpers/ingest/ingest-harness';
import { sample, signed } from '../helpers/ingest/webhook-requests';
import type { LocalStackState } from '../helpers/stack/local-stack';
import { type OfflineRun, startOffline } from '../helpers/stack/offline-stack';
import { waitFor } from '../helpers/wait';

// The attacks of issue 14, end to end: a signed Stripe webhook whose fields an attacker controls
// (customer name, email, invoice number, a link) reaches a stack of its own whose invoice template
// has an HTML body with placeholders in text, in a quoted attribute and in an href. What the sandbox
// provider received (each message as the batcher posted it) is escaped; what cannot be made safe is
// dead-lettered as invalid-job and never sent.

const dir = mkdtempSync(path.join(tmpdir(), 'template-safety-e2e-'));
const catalogFile = path.join(dir, 'sources.json');

const HTML =
  '<p>Hi {{data.object.customer_name}}</p>' +
  '<p title="{{data.object.customer_name}}">Invoice {{data.object.number}}</p>' +
  '<a href="{{data.object.hosted_invoice_url}}">Pay</a>';

interface SandboxMessage {
  to: string;
  from: string;
  subject: string;
  htmlBody?: string;
  metadata?: Record<string, string>;
}

describe('hostile webhook fields through a signed webhook to the email provider', () => {
  let stack: OfflineRun | undefined;
  let state: LocalStackState;
  let sqs: SQSClient;
  const secret = secrets['connector-suite/local/webhooks/stripe'].current;

  beforeAll(async () => {
    const catalog = structuredClone(sources) as {
      local: { emailTemplates: Record<string, Record<string, string>> };
    };
    const invoice = catalog.local.emailTemplates['invoice-paid'] as Record<string, string>;
    invoice.htmlBody = HTML;
    writeFileSync(catalogFile, JSON.stringify(catalog));
    stack = await startOffline({
      SOURCES_FILE: catalogFile,
      LOCAL_SECRETS_FILE: path.resolve(__dirname, '../fixtures/secrets.json'),
    });
    state = await stack.ready(120_000);
    sqs = new SQSClient({
      endpoint: state.sqs,
      region: state.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
    });
  }, 180_000);

  afterAll(async () => {
    sqs?.destroy();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  /** Posts a signed invoice.paid whose invoice fields are `fields`; answers its event id. */
  async function send(fields: Record<string, string>) {
    const envelope = sample('stripe-invoice-paid', { fresh: true });
    const body = envelope.body as { id: string; data: { object: Record<string, unknown> } };
    body.data.object = {
      ...body.data.object,
      customer_name: 'Ada',
      hosted_invoice_url: 'https://pay.example.test/i/1',
      ...fields,
    };
    const request = signed({ scheme: 'stripe' }, envelope, secret);
    // As Stripe does: a 503 (a cold container on a loaded machine) is retried with the same event.
    const statuses = await sendUntilAccepted(async () => {
      const response = await fetch(`${state.http}/webhooks/stripe`, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: AbortSignal.timeout(15_000),
      });
      return { statusCode: response.status };
    });
    expect(statuses.at(-1)).toBe(202);
    return body.id;
  }

  const sandboxMessages = async (eventId: string) => {
    const response = await fetch(`${state.emailSandbox}/sandbox/messages?bodies=1`, {
      signal: AbortSignal.timeout(5000),
    });
    const { messages } = (await response.json()) as { messages: SandboxMessage[] };
    return messages.filter((message) => message.metadata?.eventId === eventId);
  };

  /** The email DLQ's message for `eventId`, waited for (a wait that times out fails the test). */
  async function deadLetter(eventId: string): Promise<Message> {
    const queue = Object.values(state.queues).find((q) => q.name.endsWith('-email-jobs-dlq'));
    const seen: Message[] = [];
    let found: Message | undefined;
    await waitFor(
      `the dead letter of event ${eventId}`,
      async () => {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue?.url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            VisibilityTimeout: 30,
            MessageAttributeNames: ['All'],
          }),
        );
        seen.push(...Messages);
        found = seen.find((m) => (m.Body ?? '').includes(eventId));
        return found !== undefined;
      },
      30_000,
      100,
    );
    return found as Message;
  }

  it('delivers markup and attribute breakouts escaped, and an https link as it is', async () => {
    const hostile = '<script>alert(1)</script> "><img src=x onerror=alert(2)>';
    const eventId = await send({ customer_name: hostile });

    let received: SandboxMessage[] = [];
    await waitFor(
      `the email of event ${eventId} at the sandbox`,
      async () => {
        received = await sandboxMessages(eventId);
        return received.length > 0;
      },
      30_000,
    );

    const escaped =
      '&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(2)&gt;';
    expect(received).toEqual([
      expect.objectContaining({
        to: 'ada@example.test',
        htmlBody:
          `<p>Hi ${escaped}</p><p title="${escaped}">Invoice INV-0042</p>` +
          '<a href="https://pay.example.test/i/1">Pay</a>',
      }),
    ]);
  }, 60_000);

  it.each([
    [
      'a javascript: link in the href',
      { hosted_invoice_url: 'javascript:alert(document.cookie)' },
      'htmlBody (from data.object.hosted_invoice_url) would be a link that is not https: or mailto:',
    ],
    [
      'two recipients in to',
      { customer_email: 'ada@example.test, victim@evil.test' },
      'to (from data.object.customer_email)',
    ],
    [
      'a CR LF and a Bcc header in the subject',
      { number: 'INV-1\r\nBcc: victim@evil.test' },
      'subject (from data.object.number)',
    ],
    [
      'an escape sequence and a bidi override in the subject',
      { number: 'INV-1\u001b[2J\u202e' },
      'subject (from data.object.number)',
    ],
  ])(
    'dead-letters %s as invalid-job, and sends nothing',
    async (_, fields, reason) => {
      const eventId = await send(fields);

      const letter = await deadLetter(eventId);

      expect(letter.MessageAttributes?.reasonCode?.StringValue).toBe('invalid-job');
      expect(letter.MessageAttributes?.reason?.StringValue).toContain(reason);
      // Ingest dead-lettered the job instead of enqueueing it: no batcher can send it any more.
      expect(await sandboxMessages(eventId)).toEqual([]);
    },
    60_000,
  );
});
