import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSEvent } from 'aws-lambda';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
import { loadWorkflowTriggerConfig } from './config';
import { buildWorkflowTrigger } from './wiring';

const metrics = new Metrics({ namespace: 'ConnectorSuite', serviceName: 'workflow-trigger' });

const { handle } = buildWorkflowTrigger(
  loadWorkflowTriggerConfig(process.env),
  { sqs: sqsClient, dynamoDb: dynamoDbClient, secretsManager: secretsManagerClient },
  logger,
  metrics,
);

/** Consumes `workflow-jobs`; answers the records SQS must deliver again. */
export const handler = middy((event: SQSEvent) => handle(event))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
