import { createHash, randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { loadIngestConfig } from '../../../functions/webhook-ingest/config';
import { buildWebhookIngest } from '../../../functions/webhook-ingest/wiring';
import { loadTimeoutSettings } from '../../../shared/clients/options';
import { localSource } from '../../../tools/send/send';
import { localClientOptions, localStack, productionClientOptions } from '../stack/local-stack';
import { queuesStandFor, recordedFor } from '../stack/recorded-clients';
import { lambdaContext } from './webhook-requests';

export { drain } from '../sqs/queue-messages';

const clientConfig = (endpoint: string) => ({ ...localClientOptions(), endpoint });

/**
 * Ingest built in this process against the local servers, as the handler builds it, with queues of
 * its own (so each test file sees only its messages) and the stack's real tables. The endpoints let a
 * test put a proxy it can cut or hang between ingest and a dependency.
 */
export async function ingestHarness(
  options: { sqsEndpoint?: string; secretsEndpoint?: string; dynamoDbEndpoint?: string } = {},
) {
  const state = localStack();
  const sqs = new SQSClient(clientConfig(state.sqs));
  const dynamoDb = new DynamoDBClient(clientConfig(state.dynamodb));
  const prefix = `it-${randomUUID().slice(0, 8)}`;
  const queue = async (name: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${name}` }))).QueueUrl as string;
  const queues = {
    emailJobs: await queue('email-jobs'),
    emailJobsDlq: await queue('email-jobs-dlq'),
    workflowJobs: await queue('workflow-jobs'),
  };
  const idempotencyTable = state.tables.IdempotencyTable?.name as string;
  const config = loadIngestConfig({
    SOURCES_PROFILE: 'local',
    SECRETS_PREFIX: 'connector-suite/local',
    IDEMPOTENCY_TABLE: idempotencyTable,
    STATE_TABLE: state.tables.StateTable?.name,
    EMAIL_JOBS_QUEUE_URL: queues.emailJobs,
    EMAIL_JOBS_DLQ_URL: queues.emailJobsDlq,
    WORKFLOW_JOBS_QUEUE_URL: queues.workflowJobs,
  });
  const stands = () =>
    queuesStandFor([
      [queues.emailJobs, 'email-jobs'],
      [queues.emailJobsDlq, 'email-jobs-dlq'],
      [queues.workflowJobs, 'workflow-jobs'],
    ]);
  const ingestSqs = recordedFor(
    'webhook-ingest',
    'sqs',
    new SQSClient(productionClientOptions(options.sqsEndpoint ?? state.sqs)),
    stands,
  );
  const ingestDynamoDb = recordedFor(
    'webhook-ingest',
    'dynamodb',
    new DynamoDBClient(productionClientOptions(options.dynamoDbEndpoint ?? state.dynamodb)),
  );
  const secretsManager = recordedFor(
    'webhook-ingest',
    'secretsmanager',
    new SecretsManagerClient(
      productionClientOptions(options.secretsEndpoint ?? state.secretsManager),
    ),
  );
  const ingest = buildWebhookIngest(
    config,
    { sqs: ingestSqs, dynamoDb: ingestDynamoDb, secretsManager },
    new Logger({ logLevel: 'SILENT' }),
    loadTimeoutSettings({}),
  );

  return {
    /** Ingest as Lambda would call it, with a fresh context per invocation. */
    ingest: (event: APIGatewayProxyEventV2) => ingest(event, lambdaContext()),
    queues,
    sqs,
    dynamoDb,
    /** The Powertools idempotency record for one dedupe key, if any. */
    async dedupeRecord(key: string) {
      const hash = createHash('md5').update(JSON.stringify({ key })).digest('base64');
      const { Item } = await dynamoDb.send(
        new GetItemCommand({
          TableName: idempotencyTable,
          Key: { id: { S: `webhook-ingest#${hash}` } },
          ConsistentRead: true,
        }),
      );
      return Item;
    },
    async close() {
      for (const url of Object.values(queues)) {
        await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      }
      for (const client of [sqs, ingestSqs, dynamoDb, ingestDynamoDb, secretsManager]) {
        client.destroy();
      }
    },
  };
}

/**
 * The current signing secret of a demo source, as `npm run send` reads it: from the seed the stack was
 * started with (`LOCAL_SECRETS_FILE`, test/fixtures/secrets.json in a test run).
 */
export function localSecret(source: string): string {
  return localSource(source).secret;
}

/** What a real sender does: retries 409, 429, 5xx and network errors with backoff, up to a bound. */
export async function sendUntilAccepted(
  send: () => Promise<{ statusCode?: number }>,
  options: { attempts?: number; firstDelayMs?: number } = {},
) {
  const { attempts = 12, firstDelayMs = 200 } = options;
  const statuses: number[] = [];
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const status = (await send().catch(() => ({ statusCode: 0 }))).statusCode ?? 0;
    statuses.push(status);
    if (status !== 0 && status !== 409 && status !== 429 && status < 500) return statuses;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(2000, firstDelayMs * 2 ** attempt)),
    );
  }
  return statuses;
}
