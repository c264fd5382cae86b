import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { consumerPlumbing } from '../../shared/queue/consumer-plumbing';
import { secretCacheFor } from '../../shared/secrets/secret-cache';
import { secretVersionReader } from '../../shared/secrets/secret-version';
import { engineCall, makeBreaker, workflowTokenOf } from '../../shared/workflow/engine-client';
import { loadWorkflowRegistry, workflowProfiles } from '../../shared/workflow/registry';
import { makeTriggerTelemetry, type TriggerTelemetry } from '../../shared/workflow/telemetry';
import { writeFailureReporter } from '../../shared/write-failures';
import type { WorkflowTriggerConfig } from './config';
import { makeWorkflowTrigger } from './trigger';

/** How long a container trusts the token secret's version it read (one DescribeSecret at most). */
const TOKEN_VERSION_CACHE_MS = 5000;

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
  const secrets = secretCacheFor(clients.secretsManager, config, now);
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
    metrics,
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
    tokenVersion: secretVersionReader({
      client: clients.secretsManager,
      secretName,
      cacheMs: TOKEN_VERSION_CACHE_MS,
      now,
    }),
    deadLetter: plumbing.deadLetter,
    defer: plumbing.defer,
    onIndexFailure: plumbing.onIndexFailure,
    telemetry,
    writeFailed: writeFailureReporter(logger, metrics),
    log: logger,
    settings: {
      maxAttempts: config.maxAttempts,
      backoffBaseSeconds: config.backoffBaseSeconds,
      backoffMaxSeconds: config.backoffMaxSeconds,
      claimMs: config.claimSeconds * 1000,
      holdRecheckSeconds: config.holdRecheckSeconds,
      callTimeoutMs: config.timeoutMs,
    },
    now,
    random: Math.random,
    newClaimToken: randomUUID,
  });
  return { handle, telemetry, breaker };
}
