import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, DeleteQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadHealthConfig } from '../../../functions/health-probe/config';
import { HealthHistory } from '../../../functions/health-probe/history';
import { buildHealthProbe, type HealthExtras } from '../../../functions/health-probe/wiring';
import * as events from '../../../local/offline/lambda-events';
import { loadTimeoutSettings, sdkClientOptions } from '../../../shared/clients/options';
import { localClientOptions, localStack } from '../stack/local-stack';
import { queuesStandFor, recordedFor } from '../stack/recorded-clients';

/** The budget the harness runs with (the function's defaults). */
export const HEALTH_BUDGET_MS = 2500;
export const CHECK_TIMEOUT_MS = 1000;

const clientConfig = (endpoint: string) => ({
  ...localClientOptions(),
  ...sdkClientOptions(loadTimeoutSettings({})),
  endpoint,
});

/** An HTTP API event for `GET <path>`. */
export function getEvent(
  path: string,
  headers: Record<string, string> = {},
): APIGatewayProxyEventV2 {
  const event = events.httpEvent('x', { body: '', headers });
  return {
    ...event,
    routeKey: `GET ${path}`,
    rawPath: path,
    body: undefined,
    pathParameters: undefined,
    requestContext: {
      ...event.requestContext,
      routeKey: `GET ${path}`,
      http: { ...event.requestContext.http, method: 'GET', path },
    },
  } as APIGatewayProxyEventV2;
}

/** What EventBridge hands a scheduled function. */
export const scheduledEvent = () => ({
  source: 'aws.events',
  'detail-type': 'Scheduled Event',
  time: new Date().toISOString(),
});

/**
 * The health probe built in this process against the local servers, as its handler builds it, with
 * job queues of its own (so a test can put a message in a DLQ), the stack's real tables, a history
 * partition of its own, and endpoints a test can put a proxy in front of.
 */
export async function healthHarness(
  options: {
    sqsEndpoint?: string;
    secretsEndpoint?: string;
    dynamoDbEndpoint?: string;
    env?: Record<string, string>;
    extras?: HealthExtras;
  } = {},
) {
  const state = localStack();
  const sqs = new SQSClient({ ...localClientOptions(), endpoint: state.sqs });
  const prefix = `health-${randomUUID().slice(0, 8)}`;
  const queue = async (name: string) =>
    (await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${name}` }))).QueueUrl as string;
  const queues = {
    emailJobs: await queue('email-jobs'),
    emailJobsDlq: await queue('email-jobs-dlq'),
    workflowJobs: await queue('workflow-jobs'),
    workflowJobsDlq: await queue('workflow-jobs-dlq'),
  };
  const partition = `health#it#${prefix}`;
  const config = loadHealthConfig({
    SOURCES_PROFILE: 'local',
    SECRETS_PREFIX: 'connector-suite/local',
    IDEMPOTENCY_TABLE: state.tables.IdempotencyTable?.name,
    STATE_TABLE: state.tables.StateTable?.name,
    EMAIL_JOBS_QUEUE_URL: queues.emailJobs,
    EMAIL_JOBS_DLQ_URL: queues.emailJobsDlq,
    WORKFLOW_JOBS_QUEUE_URL: queues.workflowJobs,
    WORKFLOW_JOBS_DLQ_URL: queues.workflowJobsDlq,
    STATUS_AUTH: 'off',
    HEALTH_CLOUDWATCH: 'off',
    HEALTH_LIVE_CACHE_SECONDS: '0',
    HEALTH_HISTORY_PARTITION: partition,
    HEALTH_CHECK_TIMEOUT_MS: String(CHECK_TIMEOUT_MS),
    HEALTH_BUDGET_MS: String(HEALTH_BUDGET_MS),
    ...options.env,
  });
  const stands = () =>
    queuesStandFor([
      [queues.emailJobs, 'email-jobs'],
      [queues.emailJobsDlq, 'email-jobs-dlq'],
      [queues.workflowJobs, 'workflow-jobs'],
      [queues.workflowJobsDlq, 'workflow-jobs-dlq'],
    ]);
  const clients = {
    sqs: recordedFor(
      'health-probe',
      'sqs',
      new SQSClient(clientConfig(options.sqsEndpoint ?? state.sqs)),
      stands,
    ),
    dynamoDb: recordedFor(
      'health-probe',
      'dynamodb',
      new DynamoDBClient(clientConfig(options.dynamoDbEndpoint ?? state.dynamodb)),
    ),
    secretsManager: recordedFor(
      'health-probe',
      'secretsmanager',
      new SecretsManagerClient(clientConfig(options.secretsEndpoint ?? state.secretsManager)),
    ),
  };
  const logger = new Logger({ logLevel: 'SILENT' });
  const metrics = { addMetric: jest.fn(), publishStoredMetrics: jest.fn() };
  const handler = buildHealthProbe(config, clients, { logger, metrics }, loadTimeoutSettings({}), {
    stage: 'local',
    ...options.extras,
  });
  const readClient = new DynamoDBClient({ ...localClientOptions(), endpoint: state.dynamodb });
  const context = () => events.lambdaContext('connector-suite-local-health-probe');
  const call = async (path: string, headers?: Record<string, string>) =>
    (await handler(getEvent(path, headers), context())) as APIGatewayProxyStructuredResultV2;

  return {
    queues,
    sqs,
    logger,
    metrics,
    /** The history as the probe stores it, read through a client of the test's own. */
    history: new HealthHistory({
      client: readClient,
      tableName: config.stateTable,
      partition,
      retentionSeconds: config.historyDays * 86_400,
      now: Date.now,
    }),
    tableName: config.stateTable,
    partition,
    readClient,
    health: (headers?: Record<string, string>) => call('/health', headers),
    status: (headers?: Record<string, string>) => call('/status', headers),
    probe: () => handler(scheduledEvent(), context()),
    async close() {
      for (const url of Object.values(queues)) {
        await sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      }
      for (const client of [sqs, readClient, ...Object.values(clients)]) client.destroy();
    },
  };
}

/** Parses a health+json answer. */
export function healthBody(response: APIGatewayProxyStructuredResultV2) {
  return JSON.parse(String(response.body)) as {
    status: string;
    checks: Record<
      string,
      { componentId?: string; status: string; observedValue?: unknown; output?: string }[]
    >;
  };
}

/** The `component:measurement` keys that have an entry with `status`. */
export function keysWithStatus(body: ReturnType<typeof healthBody>, status: string): string[] {
  return Object.entries(body.checks)
    .filter(([, entries]) => entries.some((entry) => entry.status === status))
    .map(([key]) => key)
    .sort();
}
