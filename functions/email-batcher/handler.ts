import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
import { sqsFunction } from '../../shared/queue/sqs-function';
import { loadEmailBatcherConfig } from './config';
import { buildEmailBatcher } from './wiring';

const metrics = new Metrics({ namespace: 'ConnectorSuite', serviceName: 'email-batcher' });

const { handle } = buildEmailBatcher(
  loadEmailBatcherConfig(process.env),
  { sqs: sqsClient, dynamoDb: dynamoDbClient, secretsManager: secretsManagerClient },
  logger,
  metrics,
);

/** Consumes `email-jobs` in batches; answers the records SQS must deliver again. */
export const handler = sqsFunction(handle, { logger, metrics });
