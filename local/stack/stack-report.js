const fs = require('node:fs');
const path = require('node:path');
const { invokeUrl } = require('../offline/settings');

/**
 * @typedef {object} StackState what is listening where; tests and benchmarks read it from the state file
 * @property {number} pid the serverless process
 * @property {number} dynamoDbPid
 * @property {string} stage
 * @property {string} region
 * @property {string} http serverless-offline's HTTP API
 * @property {string} lambda serverless-offline's Lambda invoke API: the endpoint for the AWS SDK
 * @property {Record<string, { name: string, invokeUrl: string }>} functions by key in serverless.yml:
 *   the deployed name the Lambda API knows it by, and the URL that invokes it
 * @property {string} sqs
 * @property {string} dynamodb
 * @property {string} secretsManager
 * @property {string} emailSandbox the sandbox email provider's base URL
 * @property {string} workflowSandbox the sandbox workflow engine's base URL
 * @property {Record<string, { name: string, url: string, arn: string }>} queues by logical id
 * @property {Record<string, { name: string, arn: string }>} tables by logical id
 * @property {string[]} secrets seeded secret names
 * @property {{ function: string, queue: string }[]} eventSources
 * @property {string} [logFile] where the handlers' JSON log lines are appended (`npm run trace`)
 */

/**
 * @param {{ pid: number, stage: string, region: string, http: string, lambda: string,
 *   stack: import('./local-stack').LocalStack,
 *   subscriptions: import('../sqs/event-wiring').SqsSubscription[],
 *   functions: { key: string, name: string }[], logFile?: string }} input
 * @returns {StackState}
 */
function stackState({
  pid,
  stage,
  region,
  http,
  lambda,
  stack,
  subscriptions,
  functions,
  logFile,
}) {
  const { topology, endpoints } = stack;
  return {
    pid,
    dynamoDbPid: stack.dynamoDbPid,
    stage,
    region,
    http,
    lambda,
    functions: Object.fromEntries(
      functions.map((fn) => [fn.key, { name: fn.name, invokeUrl: invokeUrl(lambda, fn.name) }]),
    ),
    sqs: endpoints.sqs,
    dynamodb: endpoints.dynamodb,
    secretsManager: endpoints.secretsManager,
    emailSandbox: endpoints.emailSandbox,
    workflowSandbox: endpoints.workflowSandbox,
    queues: Object.fromEntries(
      topology.queues.map((q) => [q.logicalId, { name: q.name, url: q.url, arn: q.arn }]),
    ),
    tables: Object.fromEntries(
      topology.tables.map((t) => [t.logicalId, { name: t.name, arn: t.arn }]),
    ),
    secrets: stack.secretNames,
    eventSources: subscriptions.map((s) => ({ function: s.functionKey, queue: s.queue.name })),
    ...(logFile ? { logFile } : {}),
  };
}

/**
 * The block printed once everything listens.
 * @param {StackState} state
 * @returns {string}
 */
function formatStackReport(state) {
  /** @type {[string, string][]} */
  const rows = [
    ['HTTP API', state.http],
    ['Lambda API', `${state.lambda} (endpoint for @aws-sdk/client-lambda; invoke URLs below)`],
    ['SQS', state.sqs],
    [
      'DynamoDB',
      `${state.dynamodb} (listens on all interfaces: DynamoDB Local cannot bind loopback)`,
    ],
    ['Secrets Manager', `${state.secretsManager} (${state.secrets.length} secrets seeded)`],
    [
      'Email sandbox',
      `${state.emailSandbox} (what it received: ${state.emailSandbox}/sandbox/messages)`,
    ],
    [
      'Workflow sandbox',
      `${state.workflowSandbox} (what it received: ${state.workflowSandbox}/sandbox/calls)`,
    ],
  ];
  if (state.logFile)
    rows.push(['JSON logs', `${state.logFile} (npm run trace -- <correlationId>)`]);
  const lines = rows.map(([label, value]) => `  ${label.padEnd(16)} ${value}`);
  // By deployed name: the Lambda API answers 404 to a function's key from serverless.yml.
  lines.push('  Functions (invoke: POST the event to the URL, or InvokeCommand with the name):');
  for (const [key, fn] of Object.entries(state.functions)) {
    lines.push(`    ${key}: ${fn.name}`, `      ${fn.invokeUrl}`);
  }
  lines.push('  Queues:');
  for (const queue of Object.values(state.queues)) lines.push(`    ${queue.url}`);
  lines.push('  Tables:');
  for (const table of Object.values(state.tables)) lines.push(`    ${table.name}`);
  lines.push('  SQS event sources:');
  if (state.eventSources.length === 0) lines.push('    (none declared)');
  for (const source of state.eventSources) lines.push(`    ${source.queue} -> ${source.function}`);
  return [`Local stack ready (stage ${state.stage}, ${state.region}):`, ...lines].join('\n');
}

/**
 * Writes the state as JSON, atomically (a reader never sees half a file).
 * @param {string} file
 * @param {StackState} state
 * @returns {void}
 */
function writeStateFile(file, state) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(temporary, file);
}

module.exports = { stackState, formatStackReport, writeStateFile };
