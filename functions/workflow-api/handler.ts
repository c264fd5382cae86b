import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { timeouts } from '../../shared/clients/options';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { logger } from '../../shared/logger';
import { loadWorkflowApiConfig } from './config';
import { buildWorkflowApi } from './wiring';

/**
 * The SQS client, loaded at the first call that falls back to the queue (the engine cannot be called
 * now) instead of at cold start (issue 19). Exported for the test that keeps it lazy.
 */
export const loadSqsClient = async () =>
  (require('../../shared/clients/sqs') as typeof import('../../shared/clients/sqs')).sqsClient;

const metrics = new Metrics({ namespace: 'ConnectorSuite', serviceName: 'workflow-api' });

/** `POST /workflows/{name}` on the HTTP API. */
export const handler = buildWorkflowApi(
  loadWorkflowApiConfig(process.env),
  {
    sqs: loadSqsClient,
    dynamoDb: dynamoDbClient,
    secretsManager: secretsManagerClient,
  },
  logger,
  metrics,
  timeouts,
);
