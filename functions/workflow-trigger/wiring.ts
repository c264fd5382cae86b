import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DependencyError } from '../../shared/errors';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { consumerPlumbing } from '../../shared/queue/consumer-plumbing';
import { SecretCache } from '../../shared/secrets/secret-cache';
import { CircuitBreaker } from './breaker';
import type { WorkflowTriggerConfig } from './config';
import { callEngine } from './engine';
import { loadWorkflowRegistry, workflowProfiles } from './registry';
import { makeTriggerTelemetry, type TriggerTelemetry } from './telemetry';
import { makeWorkflowTrigger, type TriggerCall } from './trigger';

/** The AWS clients the trigger talks through. */
export interface WorkflowTriggerClients {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** Seams for tests and benchmarks. */
export interface WorkflowTriggerOverrides {
  fetch?: typeof fetch;
  telemetry?: TriggerTelemetry;
  now?: () => number;
  registry?: ReadonlyMap<string, string>;
}

/** The token in `<prefix>/providers/workflow` (`{"token": "..."}`). */
export function workflowTokenOf(value: unknown): string {
  const token = (value as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string' || token === '') {
    throw new DependencyError('The workflow engine secret has no "token"');
  }
  return token;
}

/**
 * One call of a job's workflow at the engine at `baseUrl`: the job's input with its `_metadata`, its
 * id as `Idempotency-Key`, cut at `timeoutMs`.
 */
export function engineCall(
  baseUrl: string,
  call: TriggerCall & { timeoutMs: number },
  fetchImpl?: typeof fetch,
  now: () => number = Date.now,
) {
  return callEngine(
    {
      baseUrl,
      path: call.path,
      token: call.token,
      idempotencyKey: call.job.id,
      correlationId: String(call.metadata.correlationId),
      body: { ...call.job.input, _metadata: call.metadata },
      timeoutMs: call.timeoutMs,
    },
    fetchImpl,
    now,
  );
}

/** The breaker of one engine, shared through the state table (also read by the health probe). */
export function makeBreaker(
  config: Pick<WorkflowTriggerConfig, 'stateTable' | 'engineName' | 'breaker'>,
  dynamoDb: DynamoDBClient,
  now: () => number,
  telemetry?: Pick<TriggerTelemetry, 'breaker'>,
) {
  return new CircuitBreaker({
    client: dynamoDb,
    tableName: config.stateTable,
    engine: config.engineName,
    settings: config.breaker,
    now,
    random: Math.random,
    newToken: randomUUID,
    ...(telemetry ? { onChange: (change) => telemetry.breaker(change) } : {}),
  });
}

/**
 * Builds the trigger from validated config and clients: the handler calls it once per container;
 * tests and benchmarks call it with clients, fetch and telemetry of their own.
 */
export function buildWorkflowTrigger(
  config: WorkflowTriggerConfig,
  clients: WorkflowTriggerClients,
  logger: Logger,
  metrics: Metrics,
  overrides: WorkflowTriggerOverrides = {},
) {
  const now = overrides.now ?? Date.now;
  const secretName = `${config.secretsPrefix}/providers/workflow`;
  const secrets = new SecretCache({
    client: clients.secretsManager,
    maxAgeSeconds: config.secretsCacheSeconds,
    minRefreshIntervalSeconds: config.secretsRefreshSeconds,
    now,
  });
  const plumbing = consumerPlumbing({
    sqs: clients.sqs,
    dynamoDb: clients.dynamoDb,
    stateTable: config.stateTable,
    queueUrl: config.queueUrl,
    dlqUrl: config.dlqUrl,
    secrets,
    secretName,
    tokenOf: workflowTokenOf,
    logger,
    now,
  });
  const telemetry = overrides.telemetry ?? makeTriggerTelemetry(logger, metrics);
  const breaker = makeBreaker(config, clients.dynamoDb, now, telemetry);
  const handle = makeWorkflowTrigger({
    registry:
      overrides.registry ?? loadWorkflowRegistry(workflowProfiles(), config.workflowsProfile),
    ledger: new JobLedger({
      client: clients.dynamoDb,
      tableName: config.stateTable,
      scope: 'workflow',
      keepSeconds: config.ledgerDays * 86_400,
      now,
    }),
    breaker,
    call: (call) =>
      engineCall(config.apiUrl, { ...call, timeoutMs: config.timeoutMs }, overrides.fetch, now),
    token: plumbing.token,
    deadLetter: plumbing.deadLetter,
    defer: plumbing.defer,
    onIndexFailure: plumbing.onIndexFailure,
    telemetry,
    log: logger,
    settings: {
      maxAttempts: config.maxAttempts,
      backoffBaseSeconds: config.backoffBaseSeconds,
      backoffMaxSeconds: config.backoffMaxSeconds,
      claimMs: config.claimSeconds * 1000,
    },
    now,
    random: Math.random,
    newClaimToken: randomUUID,
  });
  return { handle, telemetry, breaker };
}
