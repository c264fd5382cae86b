const { InvokeCommand } = require('@aws-sdk/client-lambda');
const { localLambdaClient } = require('../offline/lambda-client');

/** Seconds between scheduled invocations locally, unless LOCAL_SCHEDULE_SECONDS says otherwise. */
const DEFAULT_PERIOD_SECONDS = 10;

/**
 * @typedef {object} ScheduledFunction
 * @property {string} functionKey
 * @property {string} functionName the deployed name, which serverless-offline's invoke API expects
 * @property {unknown} input the event's `input`, handed over as the event (as EventBridge does)
 */

/**
 * Every enabled `schedule` event of every function. Their rates are not honoured locally: one short
 * period for all, so a history builds up in minutes.
 * @param {any} service `serverless.service`
 * @returns {ScheduledFunction[]}
 */
function scheduledFunctions(service) {
  /** @type {ScheduledFunction[]} */
  const found = [];
  for (const functionKey of service.getAllFunctions()) {
    const definition = service.getFunction(functionKey);
    for (const event of definition.events ?? []) {
      if (!event?.schedule || event.schedule.enabled === false) continue;
      found.push({ functionKey, functionName: definition.name, input: event.schedule.input });
    }
  }
  return found;
}

/**
 * The local period in seconds, from LOCAL_SCHEDULE_SECONDS.
 * @param {NodeJS.ProcessEnv} env
 * @returns {number}
 */
function localSchedulePeriod(env = process.env) {
  const raw = env.LOCAL_SCHEDULE_SECONDS;
  const value = raw === undefined || raw === '' ? DEFAULT_PERIOD_SECONDS : Number(raw);
  if (!Number.isFinite(value) || value < 1) {
    throw new Error(`LOCAL_SCHEDULE_SECONDS must be a number of at least 1, got "${raw}"`);
  }
  return value;
}

/**
 * Invokes each scheduled function through serverless-offline's Lambda API, once at start and then
 * every `periodSeconds`. An invocation still running when the next one is due is not overlapped.
 * @param {{ functions: ScheduledFunction[], lambdaEndpoint: string, periodSeconds: number,
 *   log: { warn: (m: string) => void, debug: (m: string) => void } }} options
 * @returns {{ stop: () => void }}
 */
function startLocalSchedule({ functions, lambdaEndpoint, periodSeconds, log }) {
  const lambda = localLambdaClient({ endpoint: lambdaEndpoint, requestTimeoutMs: 30_000 });
  /** @type {Set<string>} */
  const running = new Set();
  const tick = () => {
    for (const fn of functions) {
      if (running.has(fn.functionKey)) continue;
      running.add(fn.functionKey);
      const event = {
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        time: new Date().toISOString(),
        ...(fn.input && typeof fn.input === 'object' ? fn.input : {}),
      };
      lambda
        .send(new InvokeCommand({ FunctionName: fn.functionName, Payload: JSON.stringify(event) }))
        .then((result) => {
          if (result.FunctionError) log.warn(`scheduled ${fn.functionKey} failed`);
          else log.debug(`scheduled ${fn.functionKey} ran`);
        })
        .catch((error) => log.warn(`scheduled ${fn.functionKey} not invoked: ${error}`))
        .finally(() => running.delete(fn.functionKey));
    }
  };
  const timer = functions.length > 0 ? setInterval(tick, periodSeconds * 1000) : undefined;
  if (timer) setImmediate(tick);
  return {
    stop: () => {
      if (timer) clearInterval(timer);
      lambda.destroy();
    },
  };
}

module.exports = { scheduledFunctions, localSchedulePeriod, startLocalSchedule };
