import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { timeouts } from '../../shared/clients/options';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
import { loadWorkflowApiConfig } from './config';
import { buildWorkflowApi } from './wiring';

const metrics = new Metrics({ namespace: 'ConnectorSuite', serviceName: 'workflow-api' });

/** `POST /workflows/{name}` on the HTTP API. */
export const handler = buildWorkflowApi(
  loadWorkflowApiConfig(process.env),
  {
    sqs: sqsClient,
    dynamoDb: dynamoDbClient,
    secretsManager: secretsManagerClient,
  },
  logger,
  metrics,
  timeouts,
);
