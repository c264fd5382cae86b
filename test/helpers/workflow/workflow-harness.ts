import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Message, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { loadWorkflowTriggerConfig } from '../../../functions/workflow-trigger/config';
import { buildWorkflowTrigger } from '../../../functions/workflow-trigger/wiring';
import { startWorkflowSandbox } from '../../../local/sandboxes/workflow-sandbox';
import { SqsEventSource } from '../../../local/sqs/event-source';
import type { WorkflowJob } from '../../../shared/messages/jobs';
import { makeTriggerTelemetry } from '../../../shared/workflow/telemetry';
import { drain } from '../sqs/queue-messages';
import { createQueueWithDlq, deleteQueuesAndClients } from '../sqs/test-queues';
import { localClientOptions, tableName } from '../stack/local-stack';
import { queuesStandFor, recordedFor, stackSecretsPrefix } from '../stack/recorded-clients';
import { waitForQuiet } from './quiet';

/** The sandbox engine as tests see it. */
export type WorkflowSandbox = Awaited<ReturnType<typeof startWorkflowSandbox>>;

/** The registry the harness's triggers use. */
export const TEST_REGISTRY = new Map([
  ['campaign-send', 'webhook/campaign-send-v2'],
  ['data-export', 'webhook/bulk-data-export'],
]);

/**
 * Triggers under test against the real local servers: their own queue and DLQ in the SQS emulator,
 * their own engine secret, the shared state table (their own engine name, so the breaker is theirs)
 * and their own sandbox engine on a free port, run in this process through the local event source.
 */
export class WorkflowHarness {
  readonly id = randomUUID().slice(0, 8);
  readonly sqs = new SQSClient(localClientOptions(10_000));
  readonly dynamoDb = new DynamoDBClient(localClientOptions(10_000));
  readonly secretsManager = new SecretsManagerClient(localClientOptions());
  /**
   * The clients the workflow triggers get: recorded as the workflow-trigger's calls (issue 21), apart from the
   * harness's own clients above, which create queues and play Lambda's event source.
   */
  readonly functionClients = {
    sqs: recordedFor('workflow-trigger', 'sqs', new SQSClient(localClientOptions(10_000)), () =>
      queuesStandFor([
        [this.queueUrl, 'workflow-jobs'],
        [this.dlqUrl, 'workflow-jobs-dlq'],
      ]),
    ),
    dynamoDb: recordedFor(
      'workflow-trigger',
      'dynamodb',
      new DynamoDBClient(localClientOptions(10_000)),
    ),
    secretsManager: recordedFor(
      'workflow-trigger',
      'secretsmanager',
      new SecretsManagerClient(localClientOptions()),
      () => ({ [`test-${this.id}/`]: `${stackSecretsPrefix()}/` }),
    ),
  };
  readonly silent = new Logger({ serviceName: 'workflow-trigger-test', logLevel: 'SILENT' });
  readonly telemetry = makeTriggerTelemetry(this.silent, { addMetric: () => {} });
  readonly token = `engine-${this.id}`;
  queueUrl = '';
  dlqUrl = '';
  sandbox!: WorkflowSandbox;
  #sources: SqsEventSource[] = [];

  async open(): Promise<this> {
    this.sandbox = await startWorkflowSandbox({ port: 0, token: this.token });
    await this.secretsManager.send(
      new CreateSecretCommand({
        Name: `test-${this.id}/providers/workflow`,
        SecretString: JSON.stringify({ token: this.token }),
      }),
    );
    const queues = await createQueueWithDlq(this.sqs, `wf-test-${this.id}`, 3);
    this.queueUrl = queues.queueUrl;
    this.dlqUrl = queues.dlqUrl;
    return this;
  }

  /** The settings of the harness's triggers (short waits), with `env` over them. */
  config(env: Record<string, string> = {}) {
    return loadWorkflowTriggerConfig({
      SECRETS_PREFIX: `test-${this.id}`,
      SECRETS_REFRESH_INTERVAL_SECONDS: '0',
      STATE_TABLE: tableName('state'),
      WORKFLOW_JOBS_QUEUE_URL: this.queueUrl,
      WORKFLOW_JOBS_DLQ_URL: this.dlqUrl,
      WORKFLOW_API_URL: this.sandbox.url,
      WORKFLOW_ENGINE_NAME: `test-${this.id}`,
      WORKFLOW_TIMEOUT_MS: '800',
      WORKFLOW_MAX_ATTEMPTS: '4',
      WORKFLOW_BACKOFF_BASE_SECONDS: '1',
      WORKFLOW_BACKOFF_MAX_SECONDS: '1',
      // A harness trigger is no Lambda (no timeout of its own): 1 s stands in; the claim outlasts it
      // plus two 0.8 s calls, as start-up requires.
      FUNCTION_TIMEOUT_SECONDS: '1',
      WORKFLOW_CLAIM_SECONDS: '3',
      WORKFLOW_BREAKER_MIN_CALLS: '4',
      WORKFLOW_BREAKER_FAILURE_PERCENT: '50',
      WORKFLOW_BREAKER_WINDOW_SECONDS: '20',
      WORKFLOW_BREAKER_COOLDOWN_SECONDS: '3',
      WORKFLOW_REFUSED_COOLDOWN_SECONDS: '3',
      ...env,
    });
  }

  /** One trigger (one container's worth of state). */
  trigger(env: Record<string, string> = {}) {
    return buildWorkflowTrigger(
      this.config(env),
      this.functionClients,
      this.silent,
      new Metrics({ namespace: 'Test', serviceName: 'workflow-trigger-test' }),
      { telemetry: this.telemetry, registry: TEST_REGISTRY },
    );
  }

  /** Starts `count` triggers polling the queue, each with its own state (like separate containers). */
  async start(options: { count?: number; env?: Record<string, string> } = {}) {
    for (let index = 0; index < (options.count ?? 1); index += 1) {
      const { handle } = this.trigger(options.env);
      const source = new SqsEventSource({
        sqs: this.sqs,
        queueUrl: this.queueUrl,
        batchSize: 10,
        maximumBatchingWindow: 0,
        functionResponseType: 'ReportBatchItemFailures',
        maxConcurrency: 1,
        idleDelayMs: 100,
        invoke: (event: SQSEvent) => handle(event),
        log: { warn: () => {} },
      });
      await source.start();
      this.#sources.push(source);
    }
  }

  async stopTriggers(): Promise<void> {
    await Promise.all(this.#sources.splice(0).map((source) => source.stop()));
  }

  /** Queues a job (or a raw body) with the usual attributes. */
  async enqueue(job: WorkflowJob | string, attributes: Record<string, string> = {}): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: typeof job === 'string' ? job : JSON.stringify(job),
        MessageAttributes: Object.fromEntries(
          Object.entries({
            correlationId: `corr-${randomUUID().slice(0, 8)}`,
            source: 'test',
            ...attributes,
          }).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
        ),
      }),
    );
  }

  /** Every message in the DLQ (received once with a long visibility). */
  async deadLetters(): Promise<Message[]> {
    return drain(this.sqs, this.dlqUrl, { visibilityTimeout: 120 });
  }

  /** The engine calls for one job id (what its `Idempotency-Key` said). */
  callsFor(jobId: string) {
    return this.sandbox.calls().filter((call) => call.idempotencyKey === jobId);
  }

  /**
   * Waits until the harness's queue holds nothing (delayed and in-flight included) and each listed
   * job's ledger entry is terminal: after this, no trigger can still be on its way.
   */
  async quiet(jobIds: readonly string[] = [], timeoutMs = 30_000): Promise<void> {
    await waitForQuiet('the workflow queue', {
      sqs: this.sqs,
      queueUrls: [this.queueUrl],
      ledger: { dynamoDb: this.dynamoDb, scope: 'workflow', jobIds },
      timeoutMs,
    });
  }

  async close(): Promise<void> {
    await this.stopTriggers();
    await this.sandbox?.close();
    await deleteQueuesAndClients(
      this.sqs,
      [this.queueUrl, this.dlqUrl],
      [this.dynamoDb, this.secretsManager, ...Object.values(this.functionClients)],
    );
  }
}

/** A workflow job with a fresh id. */
export const workflowJob = (id: string, workflow = 'campaign-send'): WorkflowJob => ({
  id,
  workflow,
  input: { campaignId: `c-${id}`, audience: 'all' },
});
