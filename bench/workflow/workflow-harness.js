// Helpers for the workflow benchmark: the trigger built in this process (TypeScript bundled to
// CommonJS), bench queues of its own, counting telemetry, consumers that poll like Lambda's event
// source mapping, and the DynamoDB consumed capacity of every call.

const { randomUUID } = require('node:crypto');
const path = require('node:path');
const { CreateSecretCommand } = require('@aws-sdk/client-secrets-manager');
const {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
} = require('@aws-sdk/client-sqs');
const { SqsEventSource } = require('../../local/sqs/event-source');
const { bundleTypeScript } = require('../lib/bundle-ts');

/** The one workflow the bench triggers, and its path on the bench's engine. */
const BENCH_REGISTRY = new Map([['bench', 'webhook/bench']]);

/**
 * Bundles the trigger's config and wiring to CommonJS, packages left to node_modules.
 * @param {string} workDir
 * @returns {Promise<{ loadWorkflowTriggerConfig: (env: Record<string, string>) => any,
 *   buildWorkflowTrigger: (...args: any[]) => { handle: (event: any) => Promise<any>, breaker: any },
 *   makeTriggerTelemetry: (logger: any, metrics: any) => any }>}
 */
async function loadTriggerModule(workDir) {
  const file = await bundleTypeScript(path.join(workDir, 'workflow-trigger-in-process.js'), [
    "export { loadWorkflowTriggerConfig } from './functions/workflow-trigger/config';",
    "export { buildWorkflowTrigger } from './functions/workflow-trigger/wiring';",
    "export { makeTriggerTelemetry } from './shared/workflow/telemetry';",
  ]);
  return require(file);
}

/**
 * The trigger's own telemetry (silent logger, unflushed metrics), so the bench always speaks its
 * current interface, with the breaker's openings and closings counted beside its counters.
 * @param {{ makeTriggerTelemetry: (logger: any, metrics: any) => any }} mod
 * @param {any} logger
 * @param {any} metrics
 */
function countingTelemetry(mod, logger, metrics) {
  const telemetry = mod.makeTriggerTelemetry(logger, metrics);
  const counts = Object.assign(telemetry.counts, { breakerOpened: 0, breakerClosed: 0 });
  const breaker = telemetry.breaker.bind(telemetry);
  telemetry.breaker = (/** @type {{ to: string }} */ change) => {
    if (change.to === 'open') counts.breakerOpened += 1;
    if (change.to === 'closed') counts.breakerClosed += 1;
    breaker(change);
  };
  return telemetry;
}

/**
 * A queue and its DLQ for one run (redrive at 3 receives, like the stack's), and the engine secret.
 * @param {{ sqs: import('@aws-sdk/client-sqs').SQSClient,
 *   secretsManager: import('@aws-sdk/client-secrets-manager').SecretsManagerClient }} clients
 * @param {string} name
 * @param {string} token
 */
async function benchQueues(clients, name, token) {
  const { QueueUrl: dlqUrl = '' } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-dlq` }),
  );
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }),
  );
  const { QueueUrl: queueUrl = '' } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: Attributes?.QueueArn,
          maxReceiveCount: 3,
        }),
      },
    }),
  );
  await clients.secretsManager.send(
    new CreateSecretCommand({
      Name: `${name}/providers/workflow`,
      SecretString: JSON.stringify({ token }),
    }),
  );
  return {
    queueUrl,
    dlqUrl,
    remove: async () => {
      for (const url of [queueUrl, dlqUrl]) {
        await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
      }
    },
  };
}

/**
 * `count` workflow jobs with fresh ids.
 * @param {string} prefix
 * @param {number} count
 */
function workflowJobs(prefix, count) {
  return Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${index}-${randomUUID().slice(0, 8)}`,
    workflow: 'bench',
    input: { campaignId: `c-${index}`, audience: 'all' },
  }));
}

/**
 * Starts `count` consumers on one queue, each with a trigger of its own (one container's state),
 * one invocation at a time: `count` is the event source's maximum concurrency.
 * @param {{ sqs: import('@aws-sdk/client-sqs').SQSClient, queueUrl: string, count: number,
 *   handle: () => (event: any) => Promise<any> }} options
 */
async function startConsumers({ sqs, queueUrl, count, handle }) {
  /** @type {SqsEventSource[]} */
  const sources = [];
  for (let index = 0; index < count; index += 1) {
    const invoke = handle();
    const source = new SqsEventSource({
      sqs,
      queueUrl,
      batchSize: 10,
      maximumBatchingWindow: 0,
      functionResponseType: 'ReportBatchItemFailures',
      maxConcurrency: 1,
      waitTimeSeconds: 1,
      invoke: (event) => invoke(event),
      log: { warn: () => {} },
    });
    await source.start();
    sources.push(source);
  }
  return {
    stop: () => Promise.all(sources.map((source) => source.stop())),
  };
}

/** The commands the trigger sends that can report their consumed capacity. */
const ASKS_CAPACITY = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'TransactWriteItemsCommand',
]);

/**
 * Asks DynamoDB for the consumed capacity of every call the client makes and adds it up. The
 * product does not ask for it: this changes only the bench's requests.
 * @param {{ middlewareStack: { add: Function } }} client
 */
function capacityCounter(client) {
  const totals = { capacityUnits: 0, readCapacityUnits: 0, writeCapacityUnits: 0, answers: 0 };
  client.middlewareStack.add(
    (/** @type {Function} */ next, /** @type {{ commandName?: string }} */ context) =>
      async (/** @type {{ input: Record<string, unknown> }} */ args) => {
        if (ASKS_CAPACITY.has(context.commandName ?? ''))
          args.input.ReturnConsumedCapacity ??= 'TOTAL';
        const result = await next(args);
        const consumed = result?.output?.ConsumedCapacity;
        for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
          totals.answers += 1;
          totals.capacityUnits += entry.CapacityUnits ?? 0;
          totals.readCapacityUnits += entry.ReadCapacityUnits ?? 0;
          totals.writeCapacityUnits += entry.WriteCapacityUnits ?? 0;
        }
        return result;
      },
    { step: 'initialize', name: 'benchConsumedCapacity' },
  );
  return totals;
}

module.exports = {
  BENCH_REGISTRY,
  benchQueues,
  capacityCounter,
  countingTelemetry,
  loadTriggerModule,
  startConsumers,
  workflowJobs,
};
