import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { powertoolsDedupe } from '../../functions/webhook-ingest/dedupe-store';
import { makeWebhookIngest } from '../../functions/webhook-ingest/ingest';
import { httpFunction } from '../../shared/http/http-function';
import { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { SecretCache } from '../../shared/secrets/secret-cache';
import { loadSourceCatalog } from '../../shared/sources/catalog';
import profiles from '../fixtures/sources.json';
import { drain, localSecret } from '../helpers/ingest/ingest-harness';
import { httpEvent, lambdaContext, sample, signed } from '../helpers/ingest/webhook-requests';
import { localClientOptions, localStack } from '../helpers/stack/local-stack';

jest.setTimeout(30_000);

const LIMIT = 5;

/** The local profile with the stripe source's ceiling lowered to `limit` per second. */
function lowCeilingProfiles(limit: number) {
  const copy = structuredClone(profiles) as { local: { sources: Record<string, object> } };
  const stripe = copy.local.sources.stripe as Record<string, unknown>;
  stripe.abuseCeiling = { perSecond: limit };
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

  /** Ingest wired as production wires it, on one fixed window of the ceiling (one shard). */
  function buildIngest(limit: number, windowStart: number) {
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
        catalog: loadSourceCatalog(lowCeilingProfiles(limit), 'local', 'connector-suite/local'),
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
    return (request: { body: string; headers: Record<string, string> }) =>
      ingest(httpEvent('stripe', request), lambdaContext());
  }

  const fresh = () =>
    signed({ scheme: 'stripe' }, sample('stripe', { fresh: true }), localSecret('stripe'));

  /** The count of the stripe counter of the window starting at `windowStart` (shard 0). */
  async function counted(windowStart: number): Promise<number> {
    const { Item } = await dynamoDb.send(
      new GetItemCommand({
        TableName: state.tables.StateTable?.name as string,
        Key: {
          pk: { S: `ceiling#stripe#${Math.floor(windowStart / 1000)}#0` },
          sk: { S: 'window' },
        },
        ConsistentRead: true,
      }),
    );
    return Number(Item?.count?.N ?? 0);
  }

  it('accepts a new event with one slot left while 30 duplicates of a stored event arrive at once', async () => {
    // One fixed window for the whole test, far from any other test's windows.
    const windowStart = Date.now() + 3_600_000;
    const deliver = buildIngest(LIMIT, windowStart);
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

  it('gives back every slot that 30 concurrent duplicates took ahead of their claim, while the window has room', async () => {
    const limit = 10;
    const windowStart = Date.now() + 7_200_000;
    const deliver = buildIngest(limit, windowStart);
    const stored = fresh();
    // Two accepted events: the second already takes its slot ahead (the counter is far from full).
    for (const request of [stored, fresh()]) expect((await deliver(request)).statusCode).toBe(202);

    const duplicates = await Promise.all(Array.from({ length: 30 }, () => deliver(stored)));
    const countAfterDuplicates = await counted(windowStart);
    const rest = [];
    for (let index = 0; index < limit - 2; index += 1) rest.push(await deliver(fresh()));
    const overflow = await deliver(fresh());

    expect(duplicates.map((d) => d.statusCode)).toEqual(Array(30).fill(202));
    expect(countAfterDuplicates).toBe(2);
    expect(rest.map((r) => r.statusCode)).toEqual(Array(limit - 2).fill(202));
    expect(overflow.statusCode).toBe(429);
    expect(await drain(sqs, queues.workflowJobs)).toHaveLength(limit);
  });
});
