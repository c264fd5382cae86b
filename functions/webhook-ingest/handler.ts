import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
import { loadIngestConfig } from './config';
import { buildWebhookIngest } from './wiring';

const ingest = buildWebhookIngest(
  loadIngestConfig(process.env),
  { sqs: sqsClient, dynamoDb: dynamoDbClient, secretsManager: secretsManagerClient },
  logger,
);

/** `POST /webhooks/{source}` on the HTTP API. */
export const handler = middy(ingest).use(injectLambdaContext(logger, { resetKeys: true }));
