// Re-sends under a sustained backlog (issue 19, part 2): more email jobs queued than the provider rate
// allows, consumed from a real queue on the local SQS emulator by batchers built in this process, fed
// the way Lambda's event source feeds the function (local/sqs/event-source.js: batch size, window,
// maximum concurrency, partial failures). Deferrals go back to that same queue, as in production.
// Counted: every record handed to a batcher, by job id. A receive beyond a job's first is a re-send
// (a deferral, a re-delivery of a failed record, a hand-back); target: at most 0.2 per message sent.

const { randomUUID } = require('node:crypto');
const { CreateQueueCommand, DeleteQueueCommand, SQSClient } = require('@aws-sdk/client-sqs');
const { SqsEventSource } = require('../../local/sqs/event-source');
const { countingClients, dynamoDbBreakdown, dynamoDbRequestsOf } = require('../lib/aws-clients');
const { benchBatcherEnv, emailJob, sandbox } = require('./email-harness');
const { enqueueJobs } = require('../lib/queue-jobs');
const { silentMetrics } = require('../lib/silent-metrics');
const { buildBatcherModule } = require('./email-rate-limiter');

/** The target of issue 19: re-sends per message sent. */
const TARGET_RESENDS_PER_SEND = 0.2;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {{ state: any, workDir: string, jobs: number, rate: number, burst?: number,
 *   batchers: number, batchSize?: number, timeoutSeconds?: number, log?: (m: string) => void }} options
 */
async function runEmailBacklog({
  state,
  workDir,
  jobs,
  rate,
  burst = 500,
  batchers,
  batchSize = 500,
  timeoutSeconds = 30,
  log = () => {},
}) {
  const { loadEmailBatcherConfig, buildEmailBatcher, makeTelemetry } = require(
    await buildBatcherModule(workDir),
  );
  const { Logger } = require('@aws-lambda-powertools/logger');
  const clients = countingClients(state);
  // The poller's own client: its long polls outlast the counting clients' request timeout.
  const pollClient = new SQSClient({
    endpoint: state.sqs,
    region: state.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const id = randomUUID().slice(0, 8);
  const { QueueUrl: createdUrl } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: `bench-backlog-${id}`,
      Attributes: { VisibilityTimeout: '190' },
    }),
  );
  const { QueueUrl: createdDlqUrl } = await clients.sqs.send(
    new CreateQueueCommand({ QueueName: `bench-backlog-${id}-dlq` }),
  );
  const queueUrl = /** @type {string} */ (createdUrl);
  const dlqUrl = /** @type {string} */ (createdDlqUrl);
  /** @type {SqsEventSource | undefined} */
  let source;
  try {
    await sandbox(state.emailSandbox, '/sandbox/reset', {});
    const config = loadEmailBatcherConfig({
      ...benchBatcherEnv(state, { queueUrl, dlqUrl, account: `backlog-${id}`, rate, burst }),
      FUNCTION_TIMEOUT_SECONDS: String(timeoutSeconds),
    });
    const logger = new Logger({ serviceName: 'bench', logLevel: 'SILENT' });
    const telemetry = makeTelemetry(logger, silentMetrics());
    // One batcher per concurrent invocation (Lambda's containers), handed out in turn.
    const idle = Array.from(
      { length: batchers },
      () => buildEmailBatcher(config, clients, logger, silentMetrics(), { telemetry }).handle,
    );
    const prefix = `backlog-${id}`;
    await enqueueJobs(
      clients.sqs,
      queueUrl,
      Array.from({ length: jobs }, (_, index) => emailJob(`${prefix}-${index}`)),
    );
    /** @type {Map<string, number>} receives per job id */
    const receives = new Map();
    let invocations = 0;
    let failedRecords = 0;
    source = new SqsEventSource({
      sqs: pollClient,
      queueUrl,
      batchSize,
      maximumBatchingWindow: 1,
      functionResponseType: 'ReportBatchItemFailures',
      maxConcurrency: batchers,
      waitTimeSeconds: 1,
      log: { warn: (m) => log(`  event source: ${m}`) },
      invoke: async (event) => {
        for (const record of event.Records) {
          let jobId = record.messageId;
          try {
            jobId = JSON.parse(record.body).id ?? jobId;
          } catch {}
          receives.set(jobId, (receives.get(jobId) ?? 0) + 1);
        }
        invocations += 1;
        const handle = idle.pop();
        if (!handle) throw new Error('bench: more invocations than batchers');
        const deadline = Date.now() + timeoutSeconds * 1000;
        try {
          const response = await handle(event, {
            getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
          });
          failedRecords += response.batchItemFailures.length;
          return response;
        } finally {
          idle.push(handle);
        }
      },
    });
    clients.takeCounts();
    const started = Date.now();
    await source.start();
    const giveUp = started + Math.max(120_000, (jobs / rate) * 4000);
    let distinct = 0;
    while (Date.now() < giveUp) {
      const summary = await sandbox(state.emailSandbox, '/sandbox');
      if (summary.messages >= jobs) {
        const { messages } = await sandbox(state.emailSandbox, '/sandbox/messages');
        distinct = new Set(messages.map((/** @type {any} */ m) => m.subject)).size;
        if (distinct >= jobs) break;
      }
      await sleep(500);
    }
    const seconds = (Date.now() - started) / 1000;
    await source.stop();
    source = undefined;
    const counts = clients.takeCounts();
    const { messages } = await sandbox(state.emailSandbox, '/sandbox/messages');
    distinct = new Set(messages.map((/** @type {any} */ m) => m.subject)).size;
    const totalReceives = [...receives.values()].reduce((sum, n) => sum + n, 0);
    const resends = totalReceives - receives.size;
    const dynamoDbRequests = dynamoDbRequestsOf(counts.byOperation);
    return {
      jobs,
      rate,
      burst,
      batchers,
      batchSize,
      seconds,
      sent: messages.length,
      distinct,
      doubles: messages.length - distinct,
      invocations,
      failedRecords,
      receivesPerJob: totalReceives / Math.max(1, receives.size),
      resends,
      resendsPerSend: resends / Math.max(1, messages.length),
      deferred: telemetry.counts.deferred,
      calls: telemetry.counts.calls,
      dynamoDbPerSend: dynamoDbRequests / Math.max(1, messages.length),
      dynamoDbBreakdown: dynamoDbBreakdown(counts.byOperation),
      target: TARGET_RESENDS_PER_SEND,
    };
  } finally {
    if (source) await source.stop().catch(() => undefined);
    for (const url of [queueUrl, dlqUrl])
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    clients.destroy();
    pollClient.destroy();
  }
}

/** @param {Awaited<ReturnType<typeof runEmailBacklog>>} r */
function printEmailBacklog(r) {
  const f = (/** @type {number} */ n, digits = 2) =>
    Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
  console.log(
    `\nEmail under a sustained backlog: ${r.jobs} jobs queued at once, ${r.batchers} batchers (batch ${r.batchSize}), ${r.rate}/s, burst ${r.burst}`,
  );
  console.log(
    `  sent ${r.sent} (${r.distinct} distinct, ${r.doubles} twice) in ${f(r.seconds, 1)} s, ${r.calls} provider calls, ${r.invocations} invocations`,
  );
  console.log('  figure                 ours      target');
  console.log(
    `  receives per job       ${f(r.receivesPerJob).padEnd(9)} at most ${f(1 + r.target)}`,
  );
  console.log(
    `  re-sends per send      ${f(r.resendsPerSend).padEnd(9)} at most ${f(r.target)}   (${r.resends} re-sends: ${r.deferred} deferrals, ${r.failedRecords} records failed back to SQS)`,
  );
  console.log(
    `  DynamoDB round trips per sent message: ${f(r.dynamoDbPerSend, 3)} (${r.dynamoDbBreakdown})`,
  );
}

module.exports = { printEmailBacklog, runEmailBacklog, TARGET_RESENDS_PER_SEND };
