import { Metrics } from '@aws-lambda-powertools/metrics';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { logger } from '../../shared/logger';
import { sqsFunction } from '../../shared/queue/sqs-function';
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
export const handler = sqsFunction(handle, { logger, metrics });
