// `npm run trace -- <id> --stage S`: the CloudWatch Logs Insights query that follows an event in AWS.

const fs = require('node:fs');
const path = require('node:path');

/**
 * The function keys of the project (one folder with a `function.yml` under `functions/`) and the
 * service name of `serverless.yml`, so a new function is queried without a change here.
 * @param {string} root the project directory
 * @returns {{ service: string, functions: string[] }}
 */
function projectFunctions(root) {
  const yaml = fs.readFileSync(path.join(root, 'serverless.yml'), 'utf8');
  const service = /^service:\s*([\w-]+)/m.exec(yaml)?.[1] ?? 'connector-suite';
  const functions = fs
    .readdirSync(path.join(root, 'functions'), { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() &&
        fs.existsSync(path.join(root, 'functions', entry.name, 'function.yml')),
    )
    .map((entry) => entry.name)
    .sort();
  return { service, functions };
}

/**
 * Lambda's log group of each function as serverless names it: `/aws/lambda/<service>-<stage>-<key>`.
 * @param {{ service: string, stage: string, functions: readonly string[] }} input
 * @returns {string[]}
 */
function logGroups({ service, stage, functions }) {
  return functions.map((key) => `/aws/lambda/${service}-${stage}-${key}`);
}

/**
 * The Logs Insights query for one correlation id (already checked to be a plain token, so it needs no
 * escaping): every line that names it, as `correlationId` or inside `correlationIds`, oldest first.
 * @param {string} correlationId
 * @returns {string}
 */
function insightsQuery(correlationId) {
  return [
    'fields @timestamp, @log, level, message, outcome, jobId, attempt, attempts, status, latencyMs, delaySeconds, reason, queued.0.messageId, function_request_id',
    `| filter correlationId = "${correlationId}" or @message like "${correlationId}"`,
    '| sort @timestamp asc',
    '| limit 10000',
  ].join('\n');
}

/**
 * What `--stage` prints: the log groups, the query, and the AWS CLI commands that run it over the last
 * day (queue hops between functions are not logged in AWS: SQS does not write to CloudWatch Logs).
 * @param {{ correlationId: string, stage: string, region: string, service: string,
 *   functions: readonly string[] }} input
 * @returns {{ logGroups: string[], query: string, text: string }}
 */
function insightsPlan({ correlationId, stage, region, service, functions }) {
  const groups = logGroups({ service, stage, functions });
  const query = insightsQuery(correlationId);
  const quoted = query.replace(/'/g, "'\\''");
  const text = [
    `CloudWatch Logs Insights, region ${region}, stage ${stage}.`,
    '',
    'Log groups:',
    ...groups.map((group) => `  ${group}`),
    '',
    'Query:',
    ...query.split('\n').map((line) => `  ${line}`),
    '',
    'From the shell (last 24 hours), then read the results with the query id it prints:',
    `  aws logs start-query --region ${region} \\`,
    `    --log-group-names ${groups.join(' ')} \\`,
    '    --start-time "$(($(date +%s) - 86400))" --end-time "$(date +%s)" \\',
    `    --query-string '${quoted}'`,
    `  aws logs get-query-results --region ${region} --query-id <queryId>`,
    '',
    'Lines about a whole batch (the breaker opened, the provider paused) carry no correlation id:',
    'filter on the function_request_id of the "sqs batch" line that lists this id to see them.',
  ].join('\n');
  return { logGroups: groups, query, text };
}

module.exports = { projectFunctions, logGroups, insightsQuery, insightsPlan };
