import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bindToDeadline, remainingMs, runWithinDeadline } from '../../shared/clients/deadline';
import type { TimeoutSettings } from '../../shared/clients/options';
import { makeApiKeyCheck } from '../../shared/http/api-key';
import type { HttpContext } from '../../shared/http/correlation-id';
import { httpFunction } from '../../shared/http/http-function';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { secretCacheFor } from '../../shared/secrets/secret-cache';
import { engineCall, makeBreaker, workflowTokenOf } from '../../shared/workflow/engine-client';
import { loadWorkflowRegistry, workflowProfiles } from '../../shared/workflow/registry';
import { makeTriggerTelemetry } from '../../shared/workflow/telemetry';
import { writeFailureReporter } from '../../shared/write-failures';
import { makeWorkflowApi } from './api';
import type { WorkflowApiConfig } from './config';
import { enqueueWorkflowJob } from './enqueue';

/** The AWS clients the API talks through. */
export interface WorkflowApiClients {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** Seams for tests. */
export interface WorkflowApiOverrides {
  fetch?: typeof fetch;
  registry?: ReadonlyMap<string, string>;
}

/**
 * The claim a direct call holds while it calls: longer than the function's 10 s timeout, so it never
 * runs out under a call still in flight, and short, so a crashed call's job is free again soon.
 */
const DIRECT_CLAIM_MS = 12_000;

/**
 * Builds `POST /workflows/{name}` from validated config and clients, behind the suite's HTTP layer.
 * Every AWS call of one request shares one deadline; the engine call gets what is left of it.
 */
export function buildWorkflowApi(
  config: WorkflowApiConfig,
  clients: WorkflowApiClients,
  logger: Logger,
  metrics: {
    addMetric: (...args: Parameters<Metrics['addMetric']>) => unknown;
    publishStoredMetrics: () => unknown;
  },
  timeouts: TimeoutSettings,
  overrides: WorkflowApiOverrides = {},
) {
  const sqs = bindToDeadline(clients.sqs);
  const dynamoDb = bindToDeadline(clients.dynamoDb);
  const secrets = secretCacheFor(bindToDeadline(clients.secretsManager), config);
  const telemetry = makeTriggerTelemetry(logger, metrics);
  const api = makeWorkflowApi({
    registry:
      overrides.registry ?? loadWorkflowRegistry(workflowProfiles(), config.workflowsProfile),
    hasKey: makeApiKeyCheck(secrets, `${config.secretsPrefix}/api-keys/workflows`),
    ledger: new JobLedger({
      client: dynamoDb,
      tableName: config.stateTable,
      scope: 'workflow',
      keepSeconds: config.ledgerDays * 86_400,
      now: Date.now,
    }),
    breaker: makeBreaker(config, dynamoDb, Date.now, telemetry),
    call: (call) => engineCall(config.apiUrl, call, overrides.fetch),
    token: async () =>
      workflowTokenOf(await secrets.get(`${config.secretsPrefix}/providers/workflow`)),
    enqueue: async (job, attributes, delaySeconds) => {
      await enqueueWorkflowJob(sqs, config.queueUrl, job, attributes, delaySeconds);
    },
    telemetry,
    writeFailed: writeFailureReporter(logger, metrics),
    log: logger,
    settings: {
      maxBodyBytes: config.maxBodyBytes,
      maxJsonDepth: config.maxJsonDepth,
      directTimeoutMs: config.directTimeoutMs,
      claimMs: DIRECT_CLAIM_MS,
    },
    remainingMs: () => remainingMs() ?? timeouts.deadlineMs,
    newJobId: randomUUID,
    newClaimToken: randomUUID,
    now: Date.now,
  });
  const withinDeadline = (event: APIGatewayProxyEventV2, context: HttpContext) =>
    runWithinDeadline(timeouts, async () => {
      try {
        return await api(event, context);
      } finally {
        metrics.publishStoredMetrics();
      }
    });
  return httpFunction(withinDeadline, { logger, rejectedMessage: 'workflow call rejected' });
}
