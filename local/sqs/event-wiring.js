const { InvokeCommand } = require('@aws-sdk/client-lambda');
const { SQSClient } = require('@aws-sdk/client-sqs');
const { LOCAL_REGION } = require('../stack/cloudformation-local');
const { localLambdaClient } = require('../offline/lambda-client');
const { SqsEventSource } = require('./event-source');

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * @typedef {object} SqsSubscription
 * @property {string} functionKey
 * @property {string} functionName the deployed name, which serverless-offline's invoke API expects
 * @property {number} timeoutSeconds
 * @property {import('../stack/cloudformation-local').LocalQueue} queue
 * @property {number} [batchSize]
 * @property {number} [maximumBatchingWindow]
 * @property {string} [functionResponseType]
 * @property {number} [maximumConcurrency] the event's cap on concurrent invocations (Lambda's
 *   ScalingConfig.MaximumConcurrency)
 */

/**
 * Every enabled `sqs` event of every function whose queue is one of the local queues.
 * @param {any} service `serverless.service`
 * @param {import('../stack/cloudformation-local').LocalTopology} topology
 * @param {(message: string) => void} warn
 * @returns {SqsSubscription[]}
 */
function sqsSubscriptions(service, topology, warn) {
  /** @type {SqsSubscription[]} */
  const subscriptions = [];
  for (const functionKey of service.getAllFunctions()) {
    const definition = service.getFunction(functionKey);
    for (const event of definition.events ?? []) {
      if (!event?.sqs) continue;
      const config =
        typeof event.sqs === 'object' && 'arn' in event.sqs ? event.sqs : { arn: event.sqs };
      if (config.enabled === false) continue;
      const arn = topology.resolve(config.arn);
      const queue = topology.queues.find((candidate) => candidate.arn === arn);
      if (!queue) {
        warn(`${functionKey}: its sqs event ${JSON.stringify(arn)} is not a local queue; skipped.`);
        continue;
      }
      subscriptions.push({
        functionKey,
        functionName: definition.name,
        timeoutSeconds: Number(definition.timeout ?? service.provider.timeout ?? 6),
        queue,
        batchSize: config.batchSize === undefined ? undefined : Number(config.batchSize),
        maximumBatchingWindow:
          config.maximumBatchingWindow === undefined
            ? undefined
            : Number(config.maximumBatchingWindow),
        functionResponseType: config.functionResponseType,
        maximumConcurrency:
          config.maximumConcurrency === undefined ? undefined : Number(config.maximumConcurrency),
      });
    }
  }
  return subscriptions;
}

/**
 * Invokes a function through serverless-offline's Lambda API and returns its parsed result; a function
 * error (`FunctionError`) rejects, as a failed invocation does for Lambda's event source.
 * @param {import('@aws-sdk/client-lambda').LambdaClient} lambda
 * @param {string} functionName
 * @returns {(event: unknown) => Promise<unknown>}
 */
function lambdaInvoker(lambda, functionName) {
  return async (event) => {
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(event) }),
    );
    const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
    if (result.FunctionError) {
      let detail = text;
      try {
        detail = JSON.parse(text).errorMessage ?? text;
      } catch {
        // Not JSON: keep the text.
      }
      throw new Error(`${functionName} failed (${result.FunctionError}): ${detail}`);
    }
    return text === '' ? null : JSON.parse(text);
  };
}

/**
 * Starts one event source per SQS subscription, invoking through serverless-offline. `journal`, when
 * given, receives each record's delivery and settlement as a JSON log entry naming the function.
 * @param {{ subscriptions: SqsSubscription[], lambdaEndpoint: string, sqsEndpoint: string,
 *   log: import('./event-source').EventSourceLog,
 *   journal?: (entry: Record<string, unknown>) => void }} options
 * @returns {Promise<{ stop: () => Promise<void> }>}
 */
async function startSqsEventSources({ subscriptions, lambdaEndpoint, sqsEndpoint, log, journal }) {
  const sqs = new SQSClient({
    endpoint: sqsEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    // Long polls last up to 20 s.
    requestHandler: { connectionTimeout: 1000, requestTimeout: 25_000 },
  });
  /** @type {import('@aws-sdk/client-lambda').LambdaClient[]} */
  const lambdas = [];
  const sources = subscriptions.map((subscription) => {
    const lambda = localLambdaClient({
      endpoint: lambdaEndpoint,
      requestTimeoutMs: (subscription.timeoutSeconds + 5) * 1000,
    });
    lambdas.push(lambda);
    return new SqsEventSource({
      sqs,
      queueUrl: subscription.queue.url,
      queueArn: subscription.queue.arn,
      region: LOCAL_REGION,
      batchSize: subscription.batchSize,
      maximumBatchingWindow: subscription.maximumBatchingWindow,
      functionResponseType: subscription.functionResponseType,
      maxConcurrency: subscription.maximumConcurrency,
      invoke: lambdaInvoker(lambda, subscription.functionName),
      log,
      ...(journal
        ? { journal: (entry) => journal({ ...entry, function: subscription.functionKey }) }
        : {}),
    });
  });
  await Promise.all(sources.map((source) => source.start()));
  return {
    stop: async () => {
      await Promise.all(sources.map((source) => source.stop()));
      for (const lambda of lambdas) lambda.destroy();
      sqs.destroy();
    },
  };
}

module.exports = { sqsSubscriptions, lambdaInvoker, startSqsEventSources };
