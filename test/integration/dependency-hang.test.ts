import { URL } from 'node:url';
import {
  drain,
  ingestHarness,
  localSecret,
  sendUntilAccepted,
} from '../helpers/ingest/ingest-harness';
import { httpEvent, sample, signed } from '../helpers/ingest/webhook-requests';
import { localStack } from '../helpers/stack/local-stack';
import { TcpProxy } from '../helpers/stack/tcp-proxy';

/** The function's own timeout (functions/webhook-ingest/function.yml): the answer must come first. */
const FUNCTION_TIMEOUT_MS = 10_000;

const proxyTo = (endpoint: string) => {
  const url = new URL(endpoint);
  return new TcpProxy(url.hostname, Number(url.port));
};

jest.setTimeout(30_000);

describe('webhook ingest when a dependency hangs', () => {
  const state = localStack();
  const sqsProxy = proxyTo(state.sqs);
  const secretsProxy = proxyTo(state.secretsManager);
  let harness: Awaited<ReturnType<typeof ingestHarness>>;

  beforeAll(() => Promise.all([sqsProxy.start(), secretsProxy.start()]));
  afterAll(() => Promise.all([sqsProxy.stop(), secretsProxy.stop()]));
  // A harness per case: its secret cache starts empty, so the request must reach Secrets Manager.
  beforeEach(async () => {
    harness = await ingestHarness({ sqsEndpoint: sqsProxy.url, secretsEndpoint: secretsProxy.url });
  });
  afterEach(() => harness.close());

  /** A DynamoDB Local frozen with SIGSTOP: connections open, nothing ever answers. */
  const dynamoDb = {
    hang: () => process.kill(state.dynamoDbPid, 'SIGSTOP'),
    resume: () => process.kill(state.dynamoDbPid, 'SIGCONT'),
  };

  it.each([
    ['DynamoDB (frozen with SIGSTOP)', dynamoDb],
    ['SQS (a proxy that stops answering)', sqsProxy],
    ['Secrets Manager (a proxy that stops answering)', secretsProxy],
  ])(
    'answers 503 before the function times out when %s hangs, and the retry is accepted once',
    async (_name, dependency) => {
      const envelope = sample('stripe', { fresh: true });
      const eventId = (envelope.body as { id: string }).id;
      const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));
      // The first request of a fresh harness fills the secret cache; the Secrets Manager case needs
      // it empty, the others need nothing from it.
      const send = () => harness.ingest(httpEvent('stripe', request));

      dependency.hang();
      const started = Date.now();
      let failed: Awaited<ReturnType<typeof send>>;
      try {
        failed = await send();
      } finally {
        dependency.resume();
      }
      const elapsed = Date.now() - started;
      const record = await harness.dedupeRecord(`stripe:${eventId}`);
      const statuses = await sendUntilAccepted(send);

      expect(failed.statusCode).toBe(503);
      expect(failed.headers?.['content-type']).toBe('application/problem+json');
      expect(elapsed).toBeLessThan(FUNCTION_TIMEOUT_MS);
      expect(record?.status?.S).not.toBe('COMPLETED');
      expect(statuses.at(-1)).toBe(202);
      const messages = await drain(harness.sqs, harness.queues.workflowJobs);
      // Exactly one message per route; one the failed attempt may have enqueued carries the same id.
      expect(new Set(messages.map((m) => JSON.parse(m.Body ?? '{}').id))).toEqual(
        new Set([`stripe:${eventId}:workflow:payments`]),
      );
    },
  );
});
