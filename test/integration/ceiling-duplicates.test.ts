import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { powertoolsDedupe } from '../../functions/webhook-ingest/dedupe-store';
import { makeWebhookIngest } from '../../functions/webhook-ingest/ingest';
import { loadSourceCatalog } from '../../functions/webhook-ingest/sources';
import { httpFunction } from '../../shared/http/http-function';
import { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { SecretCache } from '../../shared/secrets/secret-cache';
import profiles from '../fixtures/sources.json';
import { drain, localSecret } from '../helpers/ingest-harness';
import { localClientOptions, localStack } from '../helpers/local-stack';
import { httpEvent, lambdaContext, sample, signed } from '../helpers/webhook-requests';

jest.setTimeout(30_000);

const LIMIT = 5;

/** The local profile with the stripe source's ceiling lowered to {@link LIMIT} per second. */
function lowCeilingProfiles() {
  const copy = structuredClone(profiles) as { local: { sources: Record<string, object> } };
  const stripe = copy.local.sources.stripe as Record<string, unknown>;
  stripe.abuseCeiling = { perSecond: LIMIT };
  return copy;
}

describe('abuse ceiling under concurrent duplicates (DynamoDB Local, Powertools dedupe)', () => {
  const state = localStack();
  const options = localClientOptions();
  const sqs = new SQSClient(options);
  const dynamoDb = new DynamoDBClient(options);
  const secretsManager = new SecretsManagerClient(options);
  const queues = { emailJobs: '', emailJobsDlq: '', workflowJobs: '' };

  beforeAll(async () => {
    for (const name of Object.keys(queues) as (keyof typeof queues)[]) {
      const QueueName = `it-ceiling-${Date.now()}-${name}`;
      queues[name] = (await sqs.send(new CreateQueueCommand({ QueueName }))).QueueUrl as string;
    }
  });
  afterAll(async () => {
    for (const url of Object.values(queues)) {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    }
    for (const client of [sqs, dynamoDb, secretsManager]) client.destroy();
  });

  it('accepts a new event with one slot left while 30 duplicates of a stored event arrive at once', async () => {
    // One fixed window for the whole test, far from any other test's windows.
    const windowStart = Date.now() + 3_600_000;
    const logger = new Logger({ logLevel: 'SILENT' });
    const dedupe = powertoolsDedupe(
      {
        tableName: state.tables.IdempotencyTable?.name as string,
        expiresAfterSeconds: 3600,
        inProgressRetryAfterSeconds: 1,
      },
      dynamoDb,
    );
    const ingest = httpFunction(
      makeWebhookIngest({
        catalog: loadSourceCatalog(lowCeilingProfiles(), 'local', 'connector-suite/local'),
        secrets: new SecretCache({
          client: secretsManager,
          maxAgeSeconds: 300,
          minRefreshIntervalSeconds: 30,
          now: Date.now,
        }),
        ceiling: new FixedWindowCeiling({
          client: dynamoDb,
          tableName: state.tables.StateTable?.name as string,
          shards: 1,
          now: () => windowStart,
        }),
        sqs,
        dedupe: dedupe.store,
        deadLetter: async () => ({ indexed: true }),
        queues,
        limits: { maxBodyBytes: 256 * 1024, maxMessageBytes: 256 * 1024, maxJsonDepth: 64 },
        nowSeconds: () => Math.floor(Date.now() / 1000),
        logger,
      }),
      { logger },
    );
    const deliver = (request: { body: string; headers: Record<string, string> }) =>
      ingest(httpEvent('stripe', request), lambdaContext());
    const fresh = () =>
      signed({ scheme: 'stripe' }, sample('stripe', { fresh: true }), localSecret('stripe'));
    const stored = fresh();
    const earlier = [stored, fresh(), fresh(), fresh()];
    for (const request of earlier) expect((await deliver(request)).statusCode).toBe(202);

    const newcomer = fresh();
    const [answer, ...duplicates] = await Promise.all([
      deliver(newcomer),
      ...Array.from({ length: 30 }, () => deliver(stored)),
    ]);
    const overflow = await deliver(fresh());

    expect(answer?.statusCode).toBe(202);
    expect(duplicates.map((d) => d.statusCode)).toEqual(Array(30).fill(202));
    expect(overflow.statusCode).toBe(429);
    expect(await drain(sqs, queues.workflowJobs)).toHaveLength(LIMIT);
  });
});
