import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { providerTokenOf, sendBatch } from '../../shared/email/postmark';
import { ProviderPause } from '../../shared/email/provider-pause';
import { searchCall } from '../../shared/email/reconcile';
import { BatchedLedger } from '../../shared/ledger/batched-ledger';
import { consumerPlumbing } from '../../shared/queue/consumer-plumbing';
import { TokenBucket } from '../../shared/rate-limit/token-bucket';
import { secretCacheFor } from '../../shared/secrets/secret-cache';
import { secretVersionReader } from '../../shared/secrets/secret-version';
import { writeFailureReporter } from '../../shared/write-failures';
import { makeEmailBatcher } from './batcher';
import type { EmailBatcherConfig } from './config';
import { type BatcherTelemetry, makeTelemetry } from './telemetry';

/** How long a container trusts the token secret's version it read (one DescribeSecret at most). */
const TOKEN_VERSION_CACHE_MS = 5000;

/** The AWS clients the batcher talks through. */
export interface EmailBatcherClients {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** Extra seams for tests and benchmarks: their own fetch (one that dies mid-call, say) or telemetry. */
export interface EmailBatcherOverrides {
  fetch?: typeof fetch;
  telemetry?: BatcherTelemetry;
  now?: () => number;
}

/**
 * Builds the batcher from validated config and clients: the handler calls it once per container;
 * tests and benchmarks call it with clients, fetch and telemetry of their own.
 */
export function buildEmailBatcher(
  config: EmailBatcherConfig,
  clients: EmailBatcherClients,
  logger: Logger,
  metrics: Metrics,
  overrides: EmailBatcherOverrides = {},
) {
  const now = overrides.now ?? Date.now;
  const secretName = `${config.secretsPrefix}/providers/email`;
  const secrets = secretCacheFor(clients.secretsManager, config, now);
  const plumbing = consumerPlumbing({
    sqs: clients.sqs,
    dynamoDb: clients.dynamoDb,
    stateTable: config.stateTable,
    queueUrl: config.emailJobsQueueUrl,
    dlqUrl: config.emailJobsDlqUrl,
    secrets,
    secretName,
    tokenOf: providerTokenOf,
    logger,
    metrics,
    now,
  });
  const telemetry = overrides.telemetry ?? makeTelemetry(logger, metrics);
  if (!config.search) {
    logger.warn(
      'EMAIL_SEARCH is off: a job whose call had an unknown outcome is sent again without asking the provider (counted EmailResentWithoutSearch); its recipient may get it twice',
    );
  }
  const bucket = new TokenBucket({
    client: clients.dynamoDb,
    tableName: config.stateTable,
    name: `email#${config.providerAccount}`,
    ratePerSecond: config.ratePerSecond,
    burst: bucketBurst(config.ratePerSecond, config.rateBurst),
    lumpSeconds: RATE_LUMP_SECONDS,
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
  const handle = makeEmailBatcher({
    // Claims, sent marks and releases go to DynamoDB many jobs at a time (BatchedLedger).
    ledger: new BatchedLedger({
      client: clients.dynamoDb,
      tableName: config.stateTable,
      scope: 'email',
      keepSeconds: config.ledgerDays * 86_400,
      now,
    }),
    bucket,
    pause: new ProviderPause({
      client: clients.dynamoDb,
      tableName: config.stateTable,
      account: config.providerAccount,
      now,
      newToken: randomUUID,
      // One provider call at most, and the claims and marks around it.
      trialLeaseMs: config.providerTimeoutMs + 5000,
    }),
    send: (token, messages) =>
      sendBatch(
        {
          baseUrl: config.emailApiUrl,
          timeoutMs: config.providerTimeoutMs,
          fetch: overrides.fetch,
          now,
        },
        token,
        messages,
      ),
    ...(config.search
      ? {
          search: (token: string, callRef: string) =>
            searchCall(
              {
                baseUrl: config.emailApiUrl,
                timeoutMs: config.searchTimeoutMs,
                fetch: overrides.fetch,
                now,
              },
              token,
              callRef,
            ),
        }
      : {}),
    newCallRef: randomUUID,
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
      messagesPerCall: config.messagesPerCall,
      claimMs: config.claimSeconds * 1000,
      maxAttempts: config.maxAttempts,
      backoffBaseSeconds: config.backoffBaseSeconds,
      backoffMaxSeconds: config.backoffMaxSeconds,
      pauseSeconds: config.pauseSeconds,
      holdRecheckSeconds: config.holdRecheckSeconds,
      rateMaxWaitMs: config.rateMaxWaitMs,
      callTimeoutMs: config.providerTimeoutMs,
      searchTimeoutMs: config.searchTimeoutMs,
      reconcile: {
        settleMs: config.reconcileSettleSeconds * 1000,
        limitMs: config.reconcileLimitHours * 3_600_000,
        callSpanMs: config.functionTimeoutSeconds * 1000,
      },
    },
    now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    newClaimToken: randomUUID,
  });
  return { handle, telemetry, bucket };
}

/**
 * Spread (ms) between a grant and its call's arrival at the provider that the bucket keeps room for:
 * a call leaves as soon as its tokens are granted, but on a busy event loop, or over the network, one
 * call takes longer than another to arrive, so grants spaced exactly at the rate can arrive closer
 * together. Measured up to about 150 ms with 16 batchers in one process on a loaded 2-core machine.
 */
export const ARRIVAL_SPREAD_MS = 250;

/**
 * A batcher waiting for tokens takes what the rate brings in this long rather than waiting for all
 * it holds, so concurrent batchers take turns (at 50/s, calls of about 150 messages): one that waited
 * for a whole 300-record batch lost the races to the others and deferred the batch at the end of its
 * invocation (0.12 to 0.30 re-sends per send in the backlog bench instead of at most 0.2). At 200/s
 * and more the bucket's size caps a grant first, so nothing changes there: 2 s lumps (400 tokens) at
 * 200/s with 16 batchers bunched calls at the provider, 55 and 84 messages over the burst in 2 of 6
 * runs of the rate-limiter bench.
 */
export const RATE_LUMP_SECONDS = 3;

/**
 * The bucket's capacity: the configured burst less what the rate brings in {@link ARRIVAL_SPREAD_MS},
 * so that arrivals, not only grants, stay within burst + rate x t (at least 1).
 */
export function bucketBurst(ratePerSecond: number, burst: number): number {
  return Math.max(1, burst - Math.ceil((ratePerSecond * ARRIVAL_SPREAD_MS) / 1000));
}
