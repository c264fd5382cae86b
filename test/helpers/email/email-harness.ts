import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type Message, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { loadEmailBatcherConfig } from '../../../functions/email-batcher/config';
import { buildEmailBatcher } from '../../../functions/email-batcher/wiring';
import { startEmailSandbox } from '../../../local/sandboxes/email-sandbox';
import { SqsEventSource } from '../../../local/sqs/event-source';
import type { EmailJob } from '../../../shared/messages/jobs';
import { drain } from '../sqs/queue-messages';
import { createQueueWithDlq, deleteQueuesAndClients } from '../sqs/test-queues';
import { localClientOptions, tableName } from '../stack/local-stack';
import { queuesStandFor, recordedFor, stackSecretsPrefix } from '../stack/recorded-clients';
import { waitForQuiet } from '../workflow/quiet';
import { recordingTelemetry } from './email-telemetry';

/** The sandbox as tests see it. */
export type EmailSandbox = Awaited<ReturnType<typeof startEmailSandbox>>;

/** An email job of about `bytes` bytes once serialized (1 KB by default). */
export function emailJob(id: string, overrides: Partial<EmailJob> = {}, bytes = 1024): EmailJob {
  const job: EmailJob = {
    id,
    from: 'Billing <billing@example.test>',
    to: `customer-${id}@example.test`,
    subject: `Your receipt ${id}`,
    textBody: '',
    tag: 'receipt',
    ...overrides,
  };
  if (overrides.textBody === undefined && overrides.htmlBody === undefined) {
    const filler = 'Thank you for your payment. ';
    const room = Math.max(1, bytes - JSON.stringify(job).length);
    job.textBody = filler.repeat(Math.ceil(room / filler.length)).slice(0, room);
  }
  return job;
}

/** Settings a harness's batchers read, on top of the defaults below. */
export type HarnessEnv = Record<string, string>;

/**
 * A batcher under test against the real local servers: its own queue and DLQ in the SQS emulator, its
 * own provider secret in the Secrets Manager endpoint, the shared state table (its own provider
 * account, so its rate limit and pause are its own), and its own sandbox provider on a free port.
 * Batchers run in this process through the same Lambda-like event source the local stack uses.
 */
/** `client`, noting each request it sends (the command's name) in `into`. */
function countRequests<C extends DynamoDBClient>(client: C, into: string[]): C {
  client.middlewareStack.add(
    (next, context) => (args) => {
      into.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return client;
}

export class EmailHarness {
  readonly id = randomUUID().slice(0, 8);
  readonly sqs = new SQSClient(localClientOptions(10_000));
  readonly dynamoDb = new DynamoDBClient(localClientOptions(10_000));
  readonly secretsManager = new SecretsManagerClient(localClientOptions());
  /**
   * The clients the email batchers get: recorded as the email-batcher's calls (issue 21), apart from the
   * harness's own clients above, which create queues and play Lambda's event source.
   */
  /** Every DynamoDB request the batchers sent (its command's name), in order. */
  readonly dynamoDbRequests: string[] = [];
  readonly functionClients = {
    sqs: recordedFor('email-batcher', 'sqs', new SQSClient(localClientOptions(10_000)), () =>
      queuesStandFor([
        [this.queueUrl, 'email-jobs'],
        [this.dlqUrl, 'email-jobs-dlq'],
      ]),
    ),
    dynamoDb: countRequests(
      recordedFor('email-batcher', 'dynamodb', new DynamoDBClient(localClientOptions(10_000))),
      this.dynamoDbRequests,
    ),
    secretsManager: recordedFor(
      'email-batcher',
      'secretsmanager',
      new SecretsManagerClient(localClientOptions()),
      () => ({ [`test-${this.id}/`]: `${stackSecretsPrefix()}/` }),
    ),
  };
  readonly telemetry = recordingTelemetry();
  readonly secretName = `test-${this.id}/providers/email`;
  readonly account = `test-${this.id}`;
  queueUrl = '';
  dlqUrl = '';
  sandbox!: EmailSandbox;
  #sources: SqsEventSource[] = [];

  /**
   * A job of this harness: its id is prefixed with the harness's, because the ledger lives in the
   * stack's shared state table and other test files use the same short names.
   */
  job(name: string, overrides: Partial<EmailJob> = {}, bytes = 1024): EmailJob {
    return emailJob(`${this.id}-${name}`, overrides, bytes);
  }

  /** The token the harness's secret and sandbox start with. */
  readonly sandboxToken = `token-${this.id}`;

  async open(token = this.sandboxToken): Promise<this> {
    this.sandbox = await startEmailSandbox({ port: 0, token });
    await this.secretsManager.send(
      new CreateSecretCommand({ Name: this.secretName, SecretString: JSON.stringify({ token }) }),
    );
    const queues = await createQueueWithDlq(this.sqs, `email-test-${this.id}`, 5);
    this.queueUrl = queues.queueUrl;
    this.dlqUrl = queues.dlqUrl;
    return this;
  }

  /** The token the batchers read from Secrets Manager from now on. */
  async rotateSecret(token: string): Promise<void> {
    await this.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: this.secretName,
        SecretString: JSON.stringify({ token }),
      }),
    );
  }

  /** One batcher's handler with the harness's settings and `env` over them. */
  batcher(env: HarnessEnv = {}, fetchOverride?: typeof fetch) {
    const config = loadEmailBatcherConfig(this.batcherEnv(env));
    const logger = new Logger({ serviceName: 'email-batcher-test', logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'email-batcher-test' });
    return buildEmailBatcher(config, this.functionClients, logger, metrics, {
      telemetry: this.telemetry,
      ...(fetchOverride ? { fetch: fetchOverride } : {}),
    });
  }

  /** The environment a harness batcher reads: the harness's settings, `env` over them. */
  batcherEnv(env: HarnessEnv = {}): HarnessEnv {
    return {
      SECRETS_PREFIX: `test-${this.id}`,
      SECRETS_REFRESH_INTERVAL_SECONDS: '0',
      STATE_TABLE: tableName('state'),
      EMAIL_JOBS_QUEUE_URL: this.queueUrl,
      EMAIL_JOBS_DLQ_URL: this.dlqUrl,
      EMAIL_API_URL: this.sandbox.url,
      EMAIL_PROVIDER_ACCOUNT: this.account,
      EMAIL_PROVIDER_TIMEOUT_MS: '4000',
      EMAIL_RATE_PER_SECOND: '5000',
      EMAIL_RATE_BURST: '5000',
      EMAIL_MAX_ATTEMPTS: '6',
      EMAIL_BACKOFF_BASE_SECONDS: '1',
      EMAIL_BACKOFF_MAX_SECONDS: '2',
      // A harness batcher is no Lambda (no timeout of its own): 1 s stands in, and the claim outlasts
      // it plus two 4 s calls and a 2 s search, as start-up requires.
      FUNCTION_TIMEOUT_SECONDS: '1',
      EMAIL_CLAIM_SECONDS: '12',
      EMAIL_SEARCH_TIMEOUT_MS: '2000',
      // Calls of unknown outcome are searched 1 s after they could last have reached the sandbox
      // (whose search has no indexing delay unless a test sets one).
      EMAIL_RECONCILE_SETTLE_SECONDS: '1',
      EMAIL_PAUSE_SECONDS: '2',
      ...env,
    };
  }

  /** Starts `count` batchers polling the queue, each with its own state (like separate containers). */
  async start(
    options: {
      count?: number;
      batchSize?: number;
      windowSeconds?: number;
      env?: HarnessEnv;
      fetch?: typeof fetch;
      /** Each invocation gets a Lambda-like clock of this many seconds (none: time is not limited). */
      timeoutSeconds?: number;
    } = {},
  ) {
    const { timeoutSeconds } = options;
    for (let index = 0; index < (options.count ?? 1); index += 1) {
      const { handle } = this.batcher(options.env, options.fetch);
      const source = new SqsEventSource({
        sqs: this.sqs,
        queueUrl: this.queueUrl,
        batchSize: options.batchSize ?? 500,
        maximumBatchingWindow: options.windowSeconds ?? 1,
        functionResponseType: 'ReportBatchItemFailures',
        maxConcurrency: 1,
        idleDelayMs: 100,
        invoke: (event: SQSEvent) => {
          for (const record of event.Records) {
            const id = jobIdOf(record.body) ?? record.messageId;
            this.receives.set(id, (this.receives.get(id) ?? 0) + 1);
          }
          if (timeoutSeconds === undefined) return handle(event);
          const deadline = Date.now() + timeoutSeconds * 1000;
          return handle(event, { getRemainingTimeInMillis: () => deadline - Date.now() });
        },
        log: { warn: () => {} },
      });
      await source.start();
      this.#sources.push(source);
    }
  }

  /** Records handed to this harness's batchers, by job id (a receive beyond the first is a re-send). */
  readonly receives = new Map<string, number>();

  async stopBatchers(): Promise<void> {
    await Promise.all(this.#sources.splice(0).map((source) => source.stop()));
  }

  /** Queues jobs (objects or raw bodies) with the usual attributes. */
  async enqueue(
    jobs: readonly (EmailJob | string)[],
    attributes: Record<string, string> = {},
  ): Promise<void> {
    const chunks: (EmailJob | string)[][] = [];
    for (let start = 0; start < jobs.length; start += 10)
      chunks.push(jobs.slice(start, start + 10));
    for (let start = 0; start < chunks.length; start += 8) {
      await Promise.all(
        chunks.slice(start, start + 8).map((chunk) =>
          this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: chunk.map((job, index) => ({
                Id: String(index),
                MessageBody: typeof job === 'string' ? job : JSON.stringify(job),
                MessageAttributes: Object.fromEntries(
                  Object.entries({
                    correlationId: `corr-${randomUUID().slice(0, 8)}`,
                    source: 'test',
                    eventType: 'test.email',
                    ...attributes,
                  }).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
                ),
              })),
            }),
          ),
        ),
      );
    }
  }

  /** Every message in the DLQ (received once with a long visibility, so each is seen once). */
  async deadLetters(): Promise<Message[]> {
    return drain(this.sqs, this.dlqUrl, { visibilityTimeout: 120 });
  }

  /** How often the sandbox recorded each job, by name (read from the subject, `Your receipt <id>`). */
  sentCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const message of this.sandbox.state.messages) {
      const id = message.subject.replace(/^Your receipt /, '').replace(`${this.id}-`, '');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * Waits until the harness's queue holds nothing (delayed and in-flight included) and each named
   * job's ledger entry is terminal: after this, no copy of a job can still be on its way.
   */
  async quiet(names: readonly string[] = [], timeoutMs = 30_000): Promise<void> {
    await waitForQuiet('the email queue', {
      sqs: this.sqs,
      queueUrls: [this.queueUrl],
      ledger: {
        dynamoDb: this.dynamoDb,
        scope: 'email',
        jobIds: names.map((name) => `${this.id}-${name}`),
      },
      timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.stopBatchers();
    await this.sandbox?.close();
    await deleteQueuesAndClients(
      this.sqs,
      [this.queueUrl, this.dlqUrl],
      [this.dynamoDb, this.secretsManager, ...Object.values(this.functionClients)],
    );
  }
}

/** The job id in a record's body, if it has one. */
function jobIdOf(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
