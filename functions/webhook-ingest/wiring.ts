import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { SecretCache } from '../../shared/secrets/secret-cache';
import type { IngestConfig } from './config';
import { type Dedupe, makeWebhookIngest } from './ingest';
import { sourceProfiles } from './source-profiles';
import { loadSourceCatalog } from './sources';

/** The AWS clients ingest talks through. */
export interface IngestClients {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/**
 * Builds the ingest function from validated config and clients: the handler calls it once per
 * container; tests and benchmarks call it with clients of their own (a proxy they can cut, say).
 */
export function buildWebhookIngest(config: IngestConfig, clients: IngestClients, logger: Logger) {
  const idempotency = new IdempotencyConfig({ expiresAfterSeconds: config.dedupeSeconds });
  const dedupe: Dedupe = makeIdempotent((_key, accept) => accept(), {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: config.idempotencyTable,
      awsSdkV3Client: clients.dynamoDb,
    }),
    config: idempotency,
    keyPrefix: 'webhook-ingest',
    dataIndexArgument: 0,
  });
  return makeWebhookIngest({
    catalog: loadSourceCatalog(sourceProfiles(), config.sourcesProfile, config.secretsPrefix),
    secrets: new SecretCache({
      client: clients.secretsManager,
      maxAgeSeconds: config.secretsCacheSeconds,
      minRefreshIntervalSeconds: config.secretsRefreshSeconds,
      now: Date.now,
    }),
    ceiling: new FixedWindowCeiling({
      client: clients.dynamoDb,
      tableName: config.stateTable,
      shards: config.abuseCeilingShards,
      now: Date.now,
    }),
    sqs: clients.sqs,
    dedupe,
    registerContext: (context) => idempotency.registerLambdaContext(context),
    isInProgress: (error) => error instanceof IdempotencyAlreadyInProgressError,
    queues: {
      emailJobs: config.emailJobsQueueUrl,
      emailJobsDlq: config.emailJobsDlqUrl,
      workflowJobs: config.workflowJobsQueueUrl,
    },
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxMessageBytes: config.maxMessageBytes,
    },
    retryAfterSeconds: config.inProgressRetryAfterSeconds,
    nowSeconds: () => Math.floor(Date.now() / 1000),
    logger,
  });
}
