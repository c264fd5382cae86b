import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { bindToDeadline, runWithinDeadline } from '../../shared/clients/deadline';
import type { TimeoutSettings } from '../../shared/clients/options';
import { makeApiKeyCheck } from '../../shared/http/api-key';
import { httpFunction } from '../../shared/http/http-function';
import { SecretCache } from '../../shared/secrets/secret-cache';
import { loadSourceCatalog } from '../../shared/sources/catalog';
import { sourceProfiles } from '../../shared/sources/profiles';
import type { RateLimiterUseReader } from './checks/ceilings';
import type { BreakerStateReader, PauseStateReader } from './checks/providers';
import { suiteChecks } from './checks/suite';
import type { HealthConfig } from './config';
import { makeCurrentHealth } from './health-answer';
import { HealthHistory } from './history';
import { makeProbe } from './probe';
import { makeHealthRoutes } from './routes';

/** The clients the probe talks through. */
export interface HealthClients {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
  cloudWatch?: CloudWatchClient;
}

/** Optional parts: a fetch for tests, and the extension points of the email and workflow issues. */
export interface HealthExtras {
  fetch?: typeof fetch;
  workflowBreaker?: BreakerStateReader;
  emailPause?: PauseStateReader;
  emailRateLimiter?: RateLimiterUseReader;
  now?: () => number;
  stage?: string;
}

/** True for an API Gateway HTTP API event; anything else is the schedule. */
const isHttpEvent = (event: unknown): event is APIGatewayProxyEventV2 =>
  typeof (event as APIGatewayProxyEventV2)?.requestContext?.http === 'object';

/**
 * Builds the health probe's one handler: `GET /health` and `GET /status` through the suite's HTTP
 * layer, and the scheduled run for anything else. The handler module calls it once per container;
 * tests and benchmarks call it with clients of their own.
 */
export function buildHealthProbe(
  config: HealthConfig,
  clients: HealthClients,
  observability: { logger: Logger; metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics'> },
  timeouts: TimeoutSettings,
  extras: HealthExtras = {},
) {
  const { logger, metrics } = observability;
  const now = extras.now ?? Date.now;
  const dynamoDb = bindToDeadline(clients.dynamoDb);
  const checks = suiteChecks(
    config,
    loadSourceCatalog(sourceProfiles(), config.sourcesProfile, config.secretsPrefix),
    {
      sqs: bindToDeadline(clients.sqs),
      dynamoDb,
      secretsManager: bindToDeadline(clients.secretsManager),
      ...(clients.cloudWatch ? { cloudWatch: bindToDeadline(clients.cloudWatch) } : {}),
      ...extras,
    },
  );
  const history = new HealthHistory({
    client: dynamoDb,
    tableName: config.stateTable,
    partition: config.historyPartition,
    retentionSeconds: config.historyDays * 86_400,
    now,
  });
  const budget = { checkTimeoutMs: config.checkTimeoutMs, budgetMs: config.budgetMs };
  const onError = (what: string, error: unknown) =>
    logger.warn('health check error', { what, error });
  const currentHealth = makeCurrentHealth({
    live: checks.live,
    scheduled: checks.scheduled,
    history,
    budget,
    cacheMs: config.liveCacheSeconds * 1000,
    periodMs: config.periodSeconds * 1000,
    now,
    onError,
  });
  const secrets = new SecretCache({
    client: bindToDeadline(clients.secretsManager),
    maxAgeSeconds: config.secretsCacheSeconds,
    minRefreshIntervalSeconds: 30,
    now,
  });
  const routes = makeHealthRoutes({
    currentHealth,
    history,
    hasStatusKey: makeApiKeyCheck(secrets, `${config.secretsPrefix}/${config.statusKeySecret}`),
    authRequired: config.statusAuth,
    historyTimeoutMs: config.budgetMs,
    stage: extras.stage ?? process.env.STAGE ?? '',
    now,
    onError,
  });
  const http = httpFunction((event) => runWithinDeadline(timeouts, () => routes(event)), {
    logger,
    rejectedMessage: 'health request rejected',
  });
  const probe = makeProbe({ checks: checks.scheduled, history, budget, metrics, logger, now });

  return async (event: unknown, context: Context) => {
    if (isHttpEvent(event)) return http(event, context);
    logger.resetKeys();
    logger.addContext(context);
    const run = await runWithinDeadline(timeouts, probe);
    return { status: run.status, checks: run.checks.length };
  };
}
