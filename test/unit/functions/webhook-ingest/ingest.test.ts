import { Logger } from '@aws-lambda-powertools/logger';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type Accepted,
  type DedupeStore,
  type IngestDeps,
  makeWebhookIngest,
} from '../../../../functions/webhook-ingest/ingest';
import type { DeadRoute } from '../../../../functions/webhook-ingest/routing';
import { DeliveryInProgressError, DependencyError } from '../../../../shared/errors';
import { httpFunction } from '../../../../shared/http/http-function';
import type { CeilingDecision } from '../../../../shared/rate-limit/fixed-window-ceiling';
import { SecretCache } from '../../../../shared/secrets/secret-cache';
import { loadSourceCatalog } from '../../../../shared/sources/catalog';
import profiles from '../../../fixtures/sources.json';
import { httpEvent, lambdaContext, sample, signed } from '../../../helpers/ingest/webhook-requests';

const NOW = 1_763_700_000;
const catalog = loadSourceCatalog(profiles, 'local', 'connector-suite/local');
const queues = {
  emailJobs: 'q://email',
  emailJobsDlq: 'q://email-dlq',
  workflowJobs: 'q://workflow',
};
/** An in-memory stand-in for the Powertools dedupe store: stores results, forgets on failure. */
function memoryDedupe() {
  const done = new Map<string, Accepted>();
  const running = new Set<string>();
  const dedupe: DedupeStore = {
    async once(key, work) {
      const stored = done.get(key);
      if (stored) return { result: stored, performed: false };
      if (running.has(key)) throw new DeliveryInProgressError('in progress', 2);
      running.add(key);
      try {
        const result = await work();
        done.set(key, result);
        return { result, performed: true };
      } finally {
        running.delete(key);
      }
    },
  };
  return { dedupe, done, running };
}

const storeBatch = (input: { Entries: { Id: string }[] }) => ({
  Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id })),
  Failed: [],
});

function setup(secret = { current: 'whsec_unit_current' }) {
  const sqs = mockClient(SQSClient);
  sqs.on(SendMessageBatchCommand).callsFake(storeBatch);
  const secretsManager = mockClient(SecretsManagerClient);
  secretsManager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });
  const memory = memoryDedupe();
  const ceiling = {
    take: jest.fn(async (): Promise<CeilingDecision> => ({ allowed: true, retryAfterSeconds: 1 })),
  };
  const deadLetters: DeadRoute[] = [];
  const deps: IngestDeps = {
    catalog,
    secrets: new SecretCache({
      client: new SecretsManagerClient({}),
      maxAgeSeconds: 300,
      minRefreshIntervalSeconds: 30,
      now: () => NOW * 1000,
    }),
    ceiling,
    sqs: new SQSClient({}),
    dedupe: memory.dedupe,
    deadLetter: async (dead) => {
      deadLetters.push(dead);
      return { indexed: true };
    },
    queues,
    limits: { maxBodyBytes: 4096, maxMessageBytes: 8192, maxJsonDepth: 64 },
    nowSeconds: () => NOW,
    logger: new Logger({ logLevel: 'SILENT' }),
  };
  return { deps, sqs, secretsManager, memory, ceiling, deadLetters, ingest: withHttpLayer(deps) };
}

/** Ingest behind the suite's HTTP layer, called as Lambda calls it. */
function withHttpLayer(deps: IngestDeps) {
  const handler = httpFunction(makeWebhookIngest(deps), { logger: deps.logger });
  return (event: APIGatewayProxyEventV2) => handler(event, lambdaContext());
}

const stripe = { scheme: 'stripe' };
const sentEntries = (sqs: ReturnType<typeof mockClient>) =>
  sqs.commandCalls(SendMessageBatchCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      queueUrl: call.args[0].input.QueueUrl,
      body: JSON.parse(entry.MessageBody ?? '{}'),
      attributes: entry.MessageAttributes,
    })),
  );

describe('webhook ingest', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers 202 once every routed message is sent, with deterministic ids and attributes', async () => {
    const { ingest, sqs } = setup();
    const request = signed(stripe, sample('stripe'), 'whsec_unit_current', NOW);
    request.headers['X-Correlation-Id'] = 'corr-123';

    const response = await ingest(httpEvent('stripe', request));

    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '')).toEqual({
      eventId: 'evt_1PqLocalDemo0001',
      status: 'accepted',
      routes: 1,
    });
    const [message, ...rest] = sentEntries(sqs);
    expect(rest).toHaveLength(0);
    expect(message?.queueUrl).toBe(queues.workflowJobs);
    expect(message?.body).toMatchObject({
      id: 'stripe:evt_1PqLocalDemo0001:workflow:payments',
      workflow: 'payments',
      correlationId: 'corr-123',
      input: { source: 'stripe', eventType: 'payment_intent.succeeded' },
    });
    expect(message?.attributes).toEqual({
      correlationId: { DataType: 'String', StringValue: 'corr-123' },
      source: { DataType: 'String', StringValue: 'stripe' },
      eventType: { DataType: 'String', StringValue: 'payment_intent.succeeded' },
    });
  });

  it('answers a repeated delivery with the same 202 and enqueues nothing more', async () => {
    const { ingest, sqs } = setup();
    const first = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
    );
    const again = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW - 60)),
    );

    expect(again.statusCode).toBe(202);
    expect(again.body).toBe(first.body);
    expect(sentEntries(sqs)).toHaveLength(1);
  });

  it('takes no abuse-ceiling slot for a duplicate of a stored event', async () => {
    const { ingest, ceiling } = setup();
    const request = signed(stripe, sample('stripe'), 'whsec_unit_current', NOW);

    await ingest(httpEvent('stripe', request));
    await ingest(httpEvent('stripe', request));

    expect(ceiling.take).toHaveBeenCalledTimes(1);
  });

  it('takes no abuse-ceiling slot while an identical delivery is in progress', async () => {
    const { ingest, ceiling, memory } = setup();
    memory.running.add('stripe:evt_1PqLocalDemo0001');

    const response = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(409);
    expect(ceiling.take).not.toHaveBeenCalled();
  });

  describe('with a slot taken ahead of the claim', () => {
    /** A ceiling that takes every slot ahead, counting what is taken and given back. */
    function aheadCeiling(allowed = true) {
      const ledger = { taken: 0, givenBack: 0 };
      const takeAhead = jest.fn(async () => {
        if (allowed) ledger.taken += 1;
        return {
          allowed,
          retryAfterSeconds: 1,
          giveBack: async () => {
            ledger.givenBack += 1;
          },
        };
      });
      return { ledger, takeAhead };
    }

    it('keeps the slot of an accepted event and takes no second one', async () => {
      const { deps, ceiling } = setup();
      const ahead = aheadCeiling();
      const ingest = withHttpLayer({
        ...deps,
        ceiling: { ...ceiling, takeAhead: ahead.takeAhead },
      });

      const response = await ingest(
        httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
      );

      expect(response.statusCode).toBe(202);
      expect(ahead.ledger).toEqual({ taken: 1, givenBack: 0 });
      expect(ceiling.take).not.toHaveBeenCalled();
    });

    it('gives the slot back when the delivery is a duplicate of a stored event', async () => {
      const { deps, ceiling } = setup();
      const ahead = aheadCeiling();
      const ingest = withHttpLayer({
        ...deps,
        ceiling: { ...ceiling, takeAhead: ahead.takeAhead },
      });
      const request = signed(stripe, sample('stripe'), 'whsec_unit_current', NOW);

      await ingest(httpEvent('stripe', request));
      const again = await ingest(httpEvent('stripe', request));

      expect(again.statusCode).toBe(202);
      expect(ahead.ledger).toEqual({ taken: 2, givenBack: 1 });
    });

    it('gives the slot back while an identical delivery is in progress', async () => {
      const { deps, ceiling, memory } = setup();
      const ahead = aheadCeiling();
      const ingest = withHttpLayer({
        ...deps,
        ceiling: { ...ceiling, takeAhead: ahead.takeAhead },
      });
      memory.running.add('stripe:evt_1PqLocalDemo0001');

      const response = await ingest(
        httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
      );

      expect(response.statusCode).toBe(409);
      expect(ahead.ledger).toEqual({ taken: 1, givenBack: 1 });
    });

    it('takes the slot again after the claim when the slot taken ahead was refused', async () => {
      const { deps, ceiling } = setup();
      const ahead = aheadCeiling(false);
      const ingest = withHttpLayer({
        ...deps,
        ceiling: { ...ceiling, takeAhead: ahead.takeAhead },
      });

      const response = await ingest(
        httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
      );

      expect(response.statusCode).toBe(202);
      expect(ceiling.take).toHaveBeenCalledTimes(1);
    });
  });

  it('refuses a validly signed body nested deeper than the limit with 400, before any I/O', async () => {
    const { ingest, sqs, secretsManager, memory } = setup();
    const deep = `{"id":"evt_deep","type":"x","a":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const request = signed(stripe, { body: deep }, 'whsec_unit_current', NOW);

    const response = await ingest(httpEvent('stripe', request));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '').detail).toMatch(/nests deeper than the limit of 64/);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(sentEntries(sqs)).toHaveLength(0);
    expect(memory.done.size).toBe(0);
  });

  it('rejects an unknown source with a 404 problem', async () => {
    const { ingest, sqs } = setup();
    const response = await ingest(httpEvent('nope', { body: '{}', headers: {} }));

    expect(response.statusCode).toBe(404);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body ?? '')).toMatchObject({ status: 404, title: 'Unknown source' });
    expect(sentEntries(sqs)).toHaveLength(0);
  });

  it.each([
    [
      'a bad signature',
      401,
      (r: { headers: Record<string, string> }) => {
        r.headers['Stripe-Signature'] = `t=${NOW},v1=${'0'.repeat(64)}`;
      },
    ],
    [
      'a wrong content type',
      415,
      (r: { headers: Record<string, string> }) => {
        r.headers['Content-Type'] = 'text/plain';
      },
    ],
    [
      'a missing content type',
      415,
      (r: { headers: Record<string, string> }) => {
        delete r.headers['Content-Type'];
      },
    ],
  ])('rejects %s with %i and records nothing', async (_what, status, spoil) => {
    const { ingest, sqs, memory } = setup();
    const request = signed(stripe, sample('stripe'), 'whsec_unit_current', NOW);
    spoil(request);

    const response = await ingest(httpEvent('stripe', request));

    expect(response.statusCode).toBe(status);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ status, type: expect.any(String) });
    expect(sentEntries(sqs)).toHaveLength(0);
    expect(memory.done.size).toBe(0);
  });

  it('rejects malformed JSON that is validly signed with 400', async () => {
    const { ingest, sqs, memory } = setup();
    const request = signed(stripe, { body: '{"id": "evt_1", ' }, 'whsec_unit_current', NOW);

    const response = await ingest(httpEvent('stripe', request));

    expect(response.statusCode).toBe(400);
    expect(sentEntries(sqs)).toHaveLength(0);
    expect(memory.done.size).toBe(0);
  });

  it('rejects a body over the limit with 413 before verifying it', async () => {
    const { ingest, secretsManager } = setup();
    const big = { body: { id: 'evt_big', type: 'payment_intent.created', pad: 'x'.repeat(5000) } };

    const response = await ingest(
      httpEvent('stripe', signed(stripe, big, 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(413);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('rejects an event whose queue message would be over the queue limit with 413', async () => {
    const { deps, sqs } = setup();
    deps.limits.maxMessageBytes = 1024;
    const small = withHttpLayer(deps);
    const body = { body: { id: 'evt_mid', type: 'payment_intent.created', pad: 'x'.repeat(900) } };

    const response = await small(
      httpEvent('stripe', signed(stripe, body, 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(413);
    expect(JSON.parse(response.body ?? '').detail).toMatch(/queue/);
    expect(sentEntries(sqs)).toHaveLength(0);
  });

  it('answers 409 with Retry-After while an identical delivery is in progress', async () => {
    const { ingest, memory } = setup();
    memory.running.add('stripe:evt_1PqLocalDemo0001');

    const response = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(409);
    expect(response.headers?.['Retry-After']).toBe('2');
  });

  it('answers 429 with Retry-After over the abuse ceiling and records nothing as done', async () => {
    const { ingest, ceiling, memory, sqs } = setup();
    ceiling.take.mockResolvedValueOnce({ allowed: false, retryAfterSeconds: 1 });

    const response = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(429);
    expect(response.headers?.['Retry-After']).toBe('1');
    expect(memory.done.size).toBe(0);
    expect(sentEntries(sqs)).toHaveLength(0);
  });

  it('answers 503 when SQS fails, so the retry completes the work', async () => {
    const { ingest, sqs, memory } = setup();
    sqs
      .on(SendMessageBatchCommand)
      .rejectsOnce(new Error('connect ECONNREFUSED'))
      .callsFake(storeBatch);
    const request = signed(stripe, sample('stripe'), 'whsec_unit_current', NOW);

    const failed = await ingest(httpEvent('stripe', request));
    const retried = await ingest(httpEvent('stripe', request));

    expect(failed.statusCode).toBe(503);
    expect(failed.body).not.toMatch(/ECONNREFUSED/);
    expect(retried.statusCode).toBe(202);
    expect(memory.done.size).toBe(1);
    // The failed attempt and the retry carry the same deterministic id, absorbed downstream.
    expect(new Set(sentEntries(sqs).map((m) => m.body.id))).toEqual(
      new Set(['stripe:evt_1PqLocalDemo0001:workflow:payments']),
    );
  });

  it('answers an unexpected error with a 500 problem that reveals nothing of the cause', async () => {
    const { deps, sqs } = setup();
    deps.dedupe = {
      once: async () => {
        throw new TypeError(
          'Cannot read properties of undefined (reading "Item") at 127.0.0.1:8000',
        );
      },
    };

    const response = await withHttpLayer(deps)(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(500);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.body).not.toMatch(/Cannot read|Item|8000/);
    expect(sentEntries(sqs)).toHaveLength(0);
  });

  it('answers 503 when the signing secret cannot be read, so the sender retries', async () => {
    const { ingest, secretsManager, sqs } = setup();
    secretsManager.on(GetSecretValueCommand).rejects(new Error('ResourceNotFoundException'));

    const response = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe'), 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(503);
    expect(response.body).not.toMatch(/ResourceNotFound|webhooks\/stripe/);
    expect(sentEntries(sqs)).toHaveLength(0);
  });

  it('answers the Slack url_verification handshake with its challenge', async () => {
    const { ingest, sqs } = setup({ current: 'slack-unit' });
    const request = signed(
      { scheme: 'slack' },
      sample('slack-url-verification'),
      'slack-unit',
      NOW,
    );

    const response = await ingest(httpEvent('slack', request));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    });
    expect(sentEntries(sqs)).toHaveLength(0);
  });

  it('fetches the secret again once when the cached one no longer verifies (rotation)', async () => {
    const { ingest, secretsManager } = setup({ current: 'whsec_old' });
    await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe', { fresh: true }), 'whsec_old', NOW)),
    );
    secretsManager
      .on(GetSecretValueCommand)
      .resolves({ SecretString: JSON.stringify({ current: 'whsec_new', previous: 'whsec_old' }) });

    const rotated = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe', { fresh: true }), 'whsec_new', NOW)),
    );
    const forged = await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe', { fresh: true }), 'whsec_forged', NOW)),
    );

    expect(rotated.statusCode).toBe(202);
    expect(forged.statusCode).toBe(401);
    // One initial read and one refresh: the forged request found the refresh rate-limited.
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('refuses an expired or malformed signature without fetching the secret again', async () => {
    const { ingest, secretsManager } = setup();
    const expired = signed(
      stripe,
      sample('stripe', { fresh: true }),
      'whsec_unit_current',
      NOW - 600,
    );
    const malformed = signed(stripe, sample('stripe', { fresh: true }), 'whsec_unit_current', NOW);
    malformed.headers['Stripe-Signature'] = 'v1=zz';

    const responses = [
      await ingest(httpEvent('stripe', expired)),
      await ingest(httpEvent('stripe', malformed)),
    ];

    expect(responses.map((r) => r.statusCode)).toEqual([401, 401]);
    // The one read that filled the cache; a rotation explains neither failure.
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('sends an email route whose template cannot be filled straight to the email DLQ with a reason', async () => {
    const { ingest, sqs, deadLetters } = setup();
    const envelope = sample('stripe-invoice-paid');
    const body = envelope.body as { data: { object: Record<string, unknown> } };
    delete body.data.object.customer_email;

    const response = await ingest(
      httpEvent('stripe', signed(stripe, envelope, 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(202);
    expect(sentEntries(sqs).filter((m) => m.queueUrl === queues.emailJobs)).toHaveLength(0);
    expect(deadLetters).toEqual([
      expect.objectContaining({
        route: 'email:invoice-paid',
        jobId: 'stripe:evt_1PqLocalDemo0002:email:invoice-paid',
        reason: expect.stringMatching(/data\.object\.customer_email/),
        attributes: expect.objectContaining({ source: 'stripe', eventType: 'invoice.paid' }),
      }),
    ]);
  });

  it('answers 503 and records nothing as done when the dead-letter queue refuses', async () => {
    const { deps, memory } = setup();
    deps.deadLetter = async () => {
      throw new DependencyError('The dead-letter queue is unavailable');
    };
    const envelope = sample('stripe-invoice-paid');
    delete (envelope.body as { data: { object: Record<string, unknown> } }).data.object
      .customer_email;

    const response = await withHttpLayer(deps)(
      httpEvent('stripe', signed(stripe, envelope, 'whsec_unit_current', NOW)),
    );

    expect(response.statusCode).toBe(503);
    expect(memory.done.size).toBe(0);
  });

  it('renders an email route from its template into the email queue', async () => {
    const { ingest, sqs } = setup();

    await ingest(
      httpEvent('stripe', signed(stripe, sample('stripe-invoice-paid'), 'whsec_unit_current', NOW)),
    );

    const [message] = sentEntries(sqs);
    expect(message?.queueUrl).toBe(queues.emailJobs);
    expect(message?.body).toMatchObject({
      id: 'stripe:evt_1PqLocalDemo0002:email:invoice-paid',
      to: 'ada@example.test',
      subject: 'Invoice INV-0042 paid',
      from: 'billing@example.test',
    });
  });
});
