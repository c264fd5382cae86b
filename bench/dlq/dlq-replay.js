// Dead-letter replay throughput: `npm run dlq -- replay` at its default rate, then at rising rates
// until the local stack no longer keeps up (achieved under 90 % of the rate asked for). Runs on the
// bench stack with its own queue pair (a copy of the state file points the CLI at them), so the
// stack's consumers never see these messages. Runs alone with `BENCH_ONLY=dlq npm run bench`.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { CreateQueueCommand, DeleteQueueCommand } = require('@aws-sdk/client-sqs');
const { countingClients } = require('../lib/aws-clients');
const { bundleTypeScript } = require('../lib/bundle-ts');
const { fixed, table } = require('../lib/stats');

const root = path.resolve(__dirname, '..', '..');
/** The CLI's default `--rate` (tools/dlq/args.ts DEFAULT_RATE). */
const DEFAULT_RATE = 10;
/** Enough messages for each run to last about this long at its rate (and at least `minMessages`). */
const SECONDS_PER_RUN = 4;

/**
 * @typedef {{ rate: number, messages: number, replayed: number, sendingSeconds: number,
 *   totalSeconds: number, achieved: number }} ReplayRun
 */

/**
 * Runs the CLI to its end and reads its summary line.
 * @param {string[]} args
 * @param {string} stateFile
 * @returns {Promise<{ replayed: number, totalSeconds: number, sendingSeconds: number }>}
 */
function runCli(args, stateFile) {
  const child = spawn(process.execPath, ['tools/run-ts.js', 'tools/dlq/cli.ts', ...args], {
    cwd: root,
    env: { ...process.env, LOCAL_STACK_STATE_FILE: stateFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const match = /replayed (\d+) of \d+ .* in ([\d.]+) s \(sending ([\d.]+) s/.exec(stdout);
      if (code !== 0 || !match) {
        reject(new Error(`dlq replay exited ${code}: ${stdout}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({
        replayed: Number(match[1]),
        totalSeconds: Number(match[2]),
        sendingSeconds: Number(match[3]),
      });
    });
  });
}

/**
 * @param {{ state: any, workDir: string, log: (message: string) => void, risingRates?: number[],
 *   minMessages?: number }} options
 * @returns {Promise<{ runs: ReplayRun[], defaultRate: ReplayRun | undefined,
 *   largestSustained: ReplayRun | undefined }>}
 */
async function runDlqReplay({
  state,
  workDir,
  log,
  risingRates = [50, 100, 200, 400, 1000],
  minMessages = 100,
}) {
  const modulePath = await bundleTypeScript(path.join(workDir, 'dlq-seed.js'), [
    "export { sendToDeadLetterQueue } from './shared/dead-letter/dead-letter';",
    "export { mapLimit } from './shared/queue/map-limit';",
  ]);
  const { sendToDeadLetterQueue, mapLimit } = require(modulePath);
  const clients = countingClients(state, {
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 2000,
      requestTimeout: 10_000,
      throwOnRequestTimeout: true,
    },
  });
  const id = `bench-dlq-${process.pid}`;
  const urls = /** @type {string[]} */ ([]);
  const create = async (/** @type {string} */ name) => {
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
    urls.push(/** @type {string} */ (QueueUrl));
    return { name, url: /** @type {string} */ (QueueUrl), arn: '' };
  };
  const stateFile = path.join(workDir, 'dlq-stack.json');
  /** @type {ReplayRun[]} */
  const runs = [];
  try {
    const queue = await create(id);
    const dlq = await create(`${id}-dlq`);
    fs.writeFileSync(
      stateFile,
      JSON.stringify({ ...state, queues: { WorkflowJobsQueue: queue, WorkflowJobsDlq: dlq } }),
    );
    for (const rate of [DEFAULT_RATE, ...risingRates]) {
      const messages = Math.max(minMessages, rate * SECONDS_PER_RUN);
      log(`bench dlq: seeding ${messages} dead letters, replaying at ${rate}/s`);
      await mapLimit(
        Array.from({ length: messages }),
        16,
        (/** @type {unknown} */ _, /** @type {number} */ index) =>
          sendToDeadLetterQueue(
            {
              sqs: clients.sqs,
              dynamoDb: clients.dynamoDb,
              tableName: state.tables.StateTable.name,
              now: Date.now,
            },
            {
              dlqUrl: dlq.url,
              queue: queue.name,
              body: JSON.stringify({ id: `${id}-${rate}-${index}`, workflow: 'bench', input: {} }),
              reason: 'bench',
              reasonCode: 'attempts-exhausted',
              attempts: 8,
              source: 'bench',
            },
          ),
      );
      const result = await runCli(['replay', 'workflow-jobs', '--rate', String(rate)], stateFile);
      const achieved = result.replayed / result.sendingSeconds;
      runs.push({ rate, messages, ...result, achieved });
      log(`bench dlq: ${result.replayed} replayed at ${fixed(achieved, 1)}/s (asked ${rate}/s)`);
      // The default rate is measured whatever it gives; the rising ones stop where the stack gives out.
      if (rate !== DEFAULT_RATE && achieved < rate * 0.9) break;
    }
  } finally {
    for (const url of urls) await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
    clients.destroy();
  }
  const sustained = runs.filter((run) => run.achieved >= run.rate * 0.9);
  return {
    runs,
    defaultRate: runs.find((run) => run.rate === DEFAULT_RATE),
    largestSustained: sustained.at(-1),
  };
}

/** @param {Awaited<ReturnType<typeof runDlqReplay>>} results */
function printDlqReplay(results) {
  console.log(
    table(
      'Dead-letter replay (npm run dlq -- replay), local stack',
      ['rate asked', 'messages', 'replayed', 'sending s', 'achieved /s', 'total s (with scan)'],
      results.runs.map((run) => [
        `${run.rate}/s`,
        run.messages,
        run.replayed,
        fixed(run.sendingSeconds, 1),
        fixed(run.achieved, 1),
        fixed(run.totalSeconds, 1),
      ]),
    ),
  );
  const best = results.largestSustained;
  console.log(
    `Largest rate sustained (achieved >= 90 % of asked): ${best ? `${best.rate}/s` : 'none'}\n`,
  );
}

module.exports = { runDlqReplay, printDlqReplay };
