import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SourceCatalog } from '../../../shared/sources/catalog';
import type { HealthConfig } from '../config';
import {
  type CeilingRef,
  ceilingUseCheck,
  type RateLimiterUseReader,
  rateLimiterUseCheck,
} from './ceilings';
import type { Check } from './check';
import {
  type BreakerStateReader,
  breakerCheck,
  type PauseStateReader,
  pauseCheck,
  providerCheck,
} from './providers';
import {
  deadLetterDepthCheck,
  oldestMessageAgeCheck,
  type QueueRef,
  queueDepthCheck,
} from './queues';
import { secretAgeCheck } from './secrets';
import { tableCheck } from './tables';

/** Everything the checks talk to. The two readers are extension points for later issues. */
export interface CheckDependencies {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
  /** Only needed when `cloudWatchChecks` is on. */
  cloudWatch?: CloudWatchClient;
  fetch?: typeof fetch;
  /** The workflow circuit breaker (workflow issue); the check is left out without it. */
  workflowBreaker?: BreakerStateReader;
  /** The email provider's pause; the check is left out without it. */
  emailPause?: PauseStateReader;
  /** The email token bucket (email issue); the check is left out without it. */
  emailRateLimiter?: RateLimiterUseReader;
}

/** A queue's name is the last segment of its URL. */
export const queueRef = (url: string): QueueRef => ({ name: url.split('/').at(-1) ?? url, url });

/** The two rounds of checks: `live` (cheap, what ingest needs) and `scheduled` (every check). */
export interface SuiteChecks {
  live: Check[];
  scheduled: Check[];
}

/**
 * The suite's checks. `live` are the dependencies ingest needs, cheap enough for `/health` to run (and
 * cache for a few seconds); `scheduled` adds everything else, run by the schedule and stored.
 */
export function suiteChecks(
  config: HealthConfig,
  catalog: SourceCatalog,
  deps: CheckDependencies,
): SuiteChecks {
  const live: Check[] = [
    queueDepthCheck(deps.sqs, [
      queueRef(config.emailJobsQueueUrl),
      queueRef(config.workflowJobsQueueUrl),
    ]),
    tableCheck(deps.dynamoDb, [
      { name: config.idempotencyTable, key: { id: 'S' } },
      { name: config.stateTable, key: { pk: 'S', sk: 'S' } },
    ]),
  ];
  const signingSecrets = [...catalog.sources.values()].map((source) => source.secretName);
  if (signingSecrets.length > 0) {
    live.push(
      secretAgeCheck(deps.secretsManager, signingSecrets, {
        maxAgeDays: config.secretMaxAgeDays,
        critical: true,
      }),
    );
  }

  const scheduled: Check[] = [
    ...live,
    deadLetterDepthCheck(deps.sqs, [
      queueRef(config.emailJobsDlqUrl),
      queueRef(config.workflowJobsDlqUrl),
    ]),
  ];
  if (config.otherSecrets.length > 0) {
    const names = config.otherSecrets.map((name) => `${config.secretsPrefix}/${name}`);
    scheduled.push(
      secretAgeCheck(deps.secretsManager, names, {
        maxAgeDays: config.secretMaxAgeDays,
        critical: false,
      }),
    );
  }
  if (config.cloudWatchChecks && deps.cloudWatch) {
    const queues = [queueRef(config.emailJobsQueueUrl), queueRef(config.workflowJobsQueueUrl)];
    scheduled.push(oldestMessageAgeCheck(deps.cloudWatch, queues, config.queueMaxAgeSeconds));
  }
  if (config.emailApiUrl) {
    scheduled.push(
      providerCheck(
        { name: 'email', baseUrl: config.emailApiUrl, healthPath: config.emailHealthPath },
        deps.fetch,
      ),
    );
  }
  if (config.workflowApiUrl) {
    scheduled.push(
      providerCheck(
        { name: 'workflow', baseUrl: config.workflowApiUrl, healthPath: config.workflowHealthPath },
        deps.fetch,
      ),
    );
  }
  if (deps.workflowBreaker) scheduled.push(breakerCheck('workflow', deps.workflowBreaker));
  if (deps.emailPause) scheduled.push(pauseCheck('email', deps.emailPause));
  if (deps.emailRateLimiter) {
    scheduled.push(rateLimiterUseCheck(deps.emailRateLimiter, config.ceilingWarnPercent));
  }
  const ceilings: CeilingRef[] = [...catalog.sources.values()].map((source) => ({
    source: source.name,
    perSecond: source.ceilingPerSecond,
  }));
  if (ceilings.length > 0) {
    scheduled.push(
      ceilingUseCheck(deps.dynamoDb, ceilings, {
        tableName: config.stateTable,
        shards: config.abuseCeilingShards,
        windowSeconds: config.ceilingWindowSeconds,
        warnPercent: config.ceilingWarnPercent,
      }),
    );
  }
  return { live, scheduled };
}
