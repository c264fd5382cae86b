import { Metrics } from '@aws-lambda-powertools/metrics';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { recordCalls } from '../../shared/clients/call-recorder';
import { dynamoDbClient } from '../../shared/clients/dynamodb';
import { clientOptions, timeouts } from '../../shared/clients/options';
import { secretsManagerClient } from '../../shared/clients/secrets-manager';
import { sqsClient } from '../../shared/clients/sqs';
import { providerPauseReader } from '../../shared/email/provider-pause';
import { logger } from '../../shared/logger';
import { tokenBucketUse } from '../../shared/rate-limit/token-bucket';
import { breakerStateReader } from '../../shared/workflow/breaker/reader';
import { loadHealthConfig } from './config';
import { buildHealthProbe } from './wiring';

const config = loadHealthConfig(process.env);

/** `GET /health`, `GET /status` and the schedule. */
export const handler = buildHealthProbe(
  config,
  {
    sqs: sqsClient,
    dynamoDb: dynamoDbClient,
    secretsManager: secretsManagerClient,
    ...(config.cloudWatchChecks
      ? { cloudWatch: recordCalls(new CloudWatchClient({ ...clientOptions }), 'cloudwatch') }
      : {}),
  },
  { logger, metrics: new Metrics({ namespace: 'ConnectorSuite', serviceName: 'health-probe' }) },
  timeouts,
  {
    // The workflow trigger's breaker.
    workflowBreaker: breakerStateReader({
      client: dynamoDbClient,
      tableName: config.stateTable,
      engine: config.workflowEngineName,
    }),
    emailPause: providerPauseReader({
      client: dynamoDbClient,
      tableName: config.stateTable,
      account: config.emailRateLimit.account,
    }),
    emailRateLimiter: {
      read: (signal) =>
        tokenBucketUse(
          {
            client: dynamoDbClient,
            tableName: config.stateTable,
            name: `email#${config.emailRateLimit.account}`,
            ratePerSecond: config.emailRateLimit.ratePerSecond,
            burst: config.emailRateLimit.burst,
            now: Date.now,
          },
          signal,
        ),
    },
  },
);
