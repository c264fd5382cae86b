import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { timeouts } from '../../shared/clients/options';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
import { loadIngestConfig } from './config';
import { buildWebhookIngest } from './wiring';

/** `POST /webhooks/{source}` on the HTTP API. */
export const handler = buildWebhookIngest(
  loadIngestConfig(process.env),
  { sqs: sqsClient, dynamoDb: dynamoDbClient, secretsManager: secretsManagerClient },
  logger,
  timeouts,
);
