import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
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
export const handler = middy((event: SQSEvent) => handle(event))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
