import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { bindToDeadline, runWithinDeadline } from '../../shared/clients/deadline';
import type { TimeoutSettings } from '../../shared/clients/options';
import { sendToDeadLetterQueue } from '../../shared/dead-letter/dead-letter';
import { DependencyError } from '../../shared/errors';
import type { HttpContext } from '../../shared/http/correlation-id';
import { httpFunction } from '../../shared/http/http-function';
import { queueNameOf } from '../../shared/queue/queue-name';
import { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { secretCacheFor } from '../../shared/secrets/secret-cache';
import { loadSourceCatalog } from '../../shared/sources/catalog';
import { sourceProfiles } from '../../shared/sources/profiles';
import { writeFailureReporter } from '../../shared/write-failures';
import type { IngestConfig } from './config';
import { powertoolsDedupe } from './dedupe-store';
import { makeWebhookIngest } from './ingest';

/** The AWS clients ingest talks through. */
export interface IngestClients {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/**
 * Builds the ingest handler from validated config and clients, with the suite's HTTP layer: the
 * handler module calls it once per container; tests and benchmarks call it with clients of their own
 * (a proxy they can cut, say). Every AWS call of one request shares one deadline.
 */
export function buildWebhookIngest(
  config: IngestConfig,
  clients: IngestClients,
  logger: Logger,
  timeouts: TimeoutSettings,
) {
  // Ingest publishes no metrics per request; a failed index write is counted as it happens.
  const metrics = new Metrics({ namespace: 'ConnectorSuite', serviceName: 'webhook-ingest' });
  const writeFailed = writeFailureReporter(logger, {
    addMetric: (...args) => metrics.singleMetric().addMetric(...args),
  });
  const sqs = bindToDeadline(clients.sqs);
  const dynamoDb = bindToDeadline(clients.dynamoDb);
  const secretsManager = bindToDeadline(clients.secretsManager);
  const dedupe = powertoolsDedupe(
    {
      tableName: config.idempotencyTable,
      expiresAfterSeconds: config.dedupeSeconds,
      inProgressRetryAfterSeconds: config.inProgressRetryAfterSeconds,
    },
    dynamoDb,
  );
  const ingest = makeWebhookIngest({
    catalog: loadSourceCatalog(sourceProfiles(), config.sourcesProfile, config.secretsPrefix),
    secrets: secretCacheFor(secretsManager, config),
    ceiling: new FixedWindowCeiling({
      client: dynamoDb,
      tableName: config.stateTable,
      shards: config.abuseCeilingShards,
      now: Date.now,
    }),
    sqs,
    dedupe: dedupe.store,
    deadLetter: async (dead) => {
      let receipt: Awaited<ReturnType<typeof sendToDeadLetterQueue>>;
      try {
        receipt = await sendToDeadLetterQueue(
          { sqs, dynamoDb, tableName: config.stateTable, now: Date.now },
          {
            dlqUrl: config.emailJobsDlqUrl,
            queue: queueNameOf(config.emailJobsQueueUrl),
            body: dead.body,
            reason: dead.reason,
            reasonCode: dead.reasonCode,
            attempts: 0,
            jobId: dead.jobId,
            attributes: dead.attributes,
          },
        );
      } catch (error) {
        throw new DependencyError('The dead-letter queue is unavailable', { cause: error });
      }
      if (!receipt.indexed) {
        writeFailed({
          store: 'dead-letter-index',
          step: 'index',
          jobId: dead.jobId,
          messageId: receipt.messageId,
          error: receipt.indexError,
        });
      }
      return receipt;
    },
    queues: {
      emailJobs: config.emailJobsQueueUrl,
      emailJobsDlq: config.emailJobsDlqUrl,
      workflowJobs: config.workflowJobsQueueUrl,
    },
    limits: {
      maxBodyBytes: config.maxBodyBytes,
      maxMessageBytes: config.maxMessageBytes,
      maxJsonDepth: config.maxJsonDepth,
      maxTemplateValueChars: config.templateValueMaxChars,
    },
    nowSeconds: () => Math.floor(Date.now() / 1000),
    logger,
  });
  const withinDeadline = (event: APIGatewayProxyEventV2, context: HttpContext) =>
    runWithinDeadline(timeouts, () => {
      dedupe.register(context);
      return ingest(event, context);
    });
  return httpFunction(withinDeadline, { logger, rejectedMessage: 'webhook rejected' });
}
