import { localSecret } from '../helpers/ingest/ingest-harness';
import { sample, signed } from '../helpers/ingest/webhook-requests';
import { localStack } from '../helpers/stack/local-stack';

interface SandboxMessage {
  to: string;
  subject: string;
  tag?: string;
  metadata?: Record<string, string>;
}

describe('email through serverless offline', () => {
  const state = localStack();

  const sandboxMessages = async (): Promise<SandboxMessage[]> => {
    const response = await fetch(`${state.emailSandbox}/sandbox/messages`, {
      signal: AbortSignal.timeout(5000),
    });
    return ((await response.json()) as { messages: SandboxMessage[] }).messages;
  };

  it('turns a signed Stripe invoice.paid webhook into one email in the sandbox with the rendered subject', async () => {
    const envelope = sample('stripe-invoice-paid', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));

    const response = await fetch(`${state.http}/webhooks/stripe`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status).toBe(202);

    const mine = async () =>
      (await sandboxMessages()).filter((message) => message.metadata?.eventId === eventId);
    const deadline = Date.now() + 30_000;
    while ((await mine()).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Anything sent twice would have arrived by now too.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    expect(await mine()).toEqual([
      expect.objectContaining({
        to: 'ada@example.test',
        subject: 'Invoice INV-0042 paid',
        tag: 'invoice-paid',
      }),
    ]);
  }, 60_000);
});
