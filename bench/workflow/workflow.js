// The workflow trigger's figures (part of `npm run bench`; alone: `BENCH_ONLY=workflow npm run
// bench`), with triggers built in this process on the local stack's SQS, DynamoDB and Secrets
// Manager, and a sandbox engine of the bench's own on a free loopback port.
// 1. An engine outage (BENCH_WORKFLOW_OUTAGE_SECONDS, default 60) with 1,000 jobs queued and five
//    consumers (Lambda's maximumConcurrency 5), each a trigger of its own: calls that reach the
//    engine during the outage with the breaker, against the same run with a breaker that never
//    opens; then the time from the engine's recovery until every job is triggered.
// 2. A healthy engine: DynamoDB requests per triggered job, counted in the SDK client.

const { randomUUID } = require('node:crypto');
const { startWorkflowSandbox } = require('../../local/sandboxes/workflow-sandbox');
const { silentMetrics } = require('../lib/silent-metrics');
const { countingClients, dynamoDbWritesAndReads } = require('../lib/aws-clients');
const { enqueueJobs } = require('../lib/queue-jobs');
const { quantile } = require('../lib/stats');
const {
  BENCH_REGISTRY,
  benchQueues,
  capacityCounter,
  countingTelemetry,
  loadTriggerModule,
  startConsumers,
  workflowJobs,
} = require('./workflow-harness');

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Short waits so the bench ends in minutes; printed beside the figures. */
const BENCH_SETTINGS = Object.freeze({
  WORKFLOW_BACKOFF_BASE_SECONDS: '1',
  WORKFLOW_BACKOFF_MAX_SECONDS: '10',
  // The default 8 attempts with 1-10 s waits would dead-letter the baseline's jobs mid-outage.
  WORKFLOW_MAX_ATTEMPTS: '100',
  WORKFLOW_TIMEOUT_MS: '2000',
});

/**
 * One run on fresh queues, engine and breaker: `jobs` queued, `consumers` consuming, the engine
 * answering 500 for `outageSeconds` (0: healthy), then healthy until every job is triggered.
 * @param {{ state: any, mod: Awaited<ReturnType<typeof loadTriggerModule>>, jobs: number,
 *   consumers: number, outageSeconds: number, breaker: boolean, log: (m: string) => void }} options
 */
async function runOnce({ state, mod, jobs, consumers, outageSeconds, breaker, log }) {
  const { Logger } = require('@aws-lambda-powertools/logger');

  const name = `bench-wf-${randomUUID().slice(0, 8)}`;
  // Bounded like the suite's clients (retried once, a request cut at its timeout), with more room
  // than the deployed 2 s: DynamoDB Local on a loaded 2-core machine is far slower than DynamoDB.
  const clients = countingClients(state, {
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 5000, throwOnRequestTimeout: true },
  });
  const capacity = capacityCounter(clients.dynamoDb);
  // The pollers' own client: their receives and deletes are the event source's, not the trigger's.
  const pollers = countingClients(state, { requestHandler: { requestTimeout: 5000 } });
  const engine = await startWorkflowSandbox({ port: 0, token: name });
  const queues = await benchQueues(clients, name, name);
  try {
    const base = mod.loadWorkflowTriggerConfig({
      SECRETS_PREFIX: name,
      STATE_TABLE: state.tables.StateTable.name,
      WORKFLOW_JOBS_QUEUE_URL: queues.queueUrl,
      WORKFLOW_JOBS_DLQ_URL: queues.dlqUrl,
      WORKFLOW_API_URL: engine.url,
      WORKFLOW_ENGINE_NAME: name,
      ...BENCH_SETTINGS,
    });
    // The baseline: the same trigger with a breaker that can never gather enough calls to open.
    const config = breaker
      ? base
      : { ...base, breaker: { ...base.breaker, minCalls: Number.POSITIVE_INFINITY } };
    const logger = new Logger({ serviceName: 'bench-workflow', logLevel: 'SILENT' });
    const telemetry = countingTelemetry(mod, logger, silentMetrics());
    await enqueueJobs(clients.sqs, queues.queueUrl, workflowJobs(name, jobs));
    if (outageSeconds > 0) engine.configure({ alwaysStatus: 500 });
    clients.takeCounts();
    const started = Date.now();
    const running = await startConsumers({
      sqs: pollers.sqs,
      queueUrl: queues.queueUrl,
      count: consumers,
      handle: () =>
        mod.buildWorkflowTrigger(config, clients, logger, silentMetrics(), {
          telemetry,
          registry: BENCH_REGISTRY,
        }).handle,
    });
    while (Date.now() < started + outageSeconds * 1000) {
      await sleep(Math.min(15_000, started + outageSeconds * 1000 - Date.now()));
      log(
        `  ${Math.round((Date.now() - started) / 1000)} s: ${engine.calls().length} engine calls`,
      );
    }
    const recoveredAt = Date.now();
    engine.configure({ alwaysStatus: null });
    const outageCalls = engine.calls().filter((call) => call.at < recoveredAt).length;
    const deadline = recoveredAt + 240_000;
    while (engine.executions().length < jobs && Date.now() < deadline) await sleep(250);
    // One more flush interval, so the breaker's last counts are written and counted.
    await sleep(1200);
    await running.stop();
    const counts = clients.takeCounts();
    const executions = engine.executions();
    const times = executions.map((execution) => execution.at);
    const winning = engine.calls().filter((call) => call.status === 200);
    const attempts = winning.map((call) =>
      Number(/** @type {any} */ (call.body)._metadata?.attempt),
    );
    return {
      breaker,
      breakerSettings: base.breaker,
      outageSeconds,
      outageCalls,
      totalCalls: engine.calls().length,
      // Calls after recovery that did not trigger: 500s still in flight, hung-up trials, and
      // repeats of a key already triggered (the engine answers them with the first execution).
      failedAfterRecovery: engine
        .calls()
        .filter((call) => call.at >= recoveredAt && call.status !== 200).length,
      repeatedKeys: engine.calls().filter((call) => call.replayed).length,
      triggered: executions.length,
      recoverySeconds: times.length > 0 ? (Math.max(...times) - recoveredAt) / 1000 : Number.NaN,
      firstTriggerAfterRecoverySeconds:
        times.length > 0 ? (Math.min(...times) - recoveredAt) / 1000 : Number.NaN,
      attemptsMedian: quantile(
        [...attempts].sort((a, b) => a - b),
        0.5,
      ),
      attemptsMax: attempts.length > 0 ? Math.max(...attempts) : Number.NaN,
      outcomes: { ...telemetry.counts },
      dynamoDb: dynamoDbWritesAndReads(counts.byOperation),
      capacity,
      operations: counts.byOperation,
    };
  } finally {
    await queues.remove();
    await engine.close();
    clients.destroy();
    pollers.destroy();
  }
}

/**
 * Every workflow figure on a running local stack.
 * @param {{ state: any, workDir: string, jobs?: number, consumers?: number,
 *   outageSeconds?: number, log?: (m: string) => void }} options
 */
async function runWorkflow({
  state,
  workDir,
  jobs = 1000,
  consumers = 5,
  outageSeconds = Number(process.env.BENCH_WORKFLOW_OUTAGE_SECONDS ?? 60),
  log = () => {},
}) {
  const mod = await loadTriggerModule(workDir);
  const common = { state, mod, jobs, consumers, log };
  log(`bench workflow: ${outageSeconds} s outage, ${jobs} jobs, breaker on`);
  const withBreaker = await runOnce({ ...common, outageSeconds, breaker: true });
  log(`bench workflow: ${outageSeconds} s outage, ${jobs} jobs, breaker that never opens`);
  const withoutBreaker = await runOnce({ ...common, outageSeconds, breaker: false });
  log(`bench workflow: healthy engine, ${jobs} jobs`);
  const healthy = await runOnce({ ...common, outageSeconds: 0, breaker: true });
  return {
    jobs,
    consumers,
    settings: BENCH_SETTINGS,
    // The breaker's settings (its defaults), printed beside the figures.
    breaker: withBreaker.breakerSettings,
    withBreaker,
    withoutBreaker,
    healthy,
  };
}

module.exports = { runWorkflow };
