// `npm run trace -- <correlationId> [--json] [--log-file F] [--stage S [--region R]] [--help]`
// Follows one event through the local stack's JSON log file, or prints the CloudWatch Logs Insights
// query that does it for a deployed stage. The command line and exit codes are in args.js.

const fs = require('node:fs');
const path = require('node:path');
const { localLogFile } = require('../../local/stack/log-file');
const { terminalJson, terminalText } = require('../../shared/text/unsafe-characters');
const { TRACE_EXIT, TRACE_USAGE, UsageError, parseTraceArgs } = require('./args');
const { formatTrace } = require('./format');
const { insightsPlan, projectFunctions } = require('./insights');
const { jobOutcomes, parseLogLines, selectEvent } = require('./select');

const root = path.resolve(__dirname, '..', '..');

/**
 * Runs the command and answers its exit code and what to print.
 * @param {readonly string[]} argv
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ code: number, stdout: string, stderr: string }}
 */
function runTrace(argv, env = process.env) {
  let args;
  try {
    args = parseTraceArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { code: TRACE_EXIT.usage, stdout: '', stderr: `${error.message}\n\n${TRACE_USAGE}\n` };
  }
  if (args.help) return { code: TRACE_EXIT.ok, stdout: `${TRACE_USAGE}\n`, stderr: '' };

  if (args.stage !== undefined) {
    const plan = insightsPlan({
      correlationId: args.correlationId,
      stage: args.stage,
      region: args.region,
      ...projectFunctions(root),
    });
    const stdout = args.json
      ? JSON.stringify({ logGroups: plan.logGroups, query: plan.query, region: args.region })
      : plan.text;
    return { code: TRACE_EXIT.ok, stdout: `${stdout}\n`, stderr: '' };
  }

  const file = args.logFile ? path.resolve(args.logFile) : localLogFile({ serviceDir: root, env });
  if (!fs.existsSync(file)) {
    return {
      code: TRACE_EXIT.notFound,
      stdout: '',
      stderr: `No log file at ${file}: start the local stack (npm run dev), or give --log-file.\n`,
    };
  }
  const lines = selectEvent(parseLogLines(fs.readFileSync(file, 'utf8')), args.correlationId);
  const outcomes = jobOutcomes(lines);
  const code = lines.length === 0 ? TRACE_EXIT.notFound : TRACE_EXIT.ok;
  // Log lines carry outside values: JSON keeps them as \uXXXX escapes (still valid JSON), and the text
  // path escapes each value (format.js), then the whole text once more as a safety net.
  const stdout = args.json
    ? terminalJson({ correlationId: args.correlationId, logFile: file, lines, outcomes }, 0)
    : terminalText(
        formatTrace({ correlationId: args.correlationId, source: file, lines, outcomes }),
      );
  return { code, stdout: `${stdout}\n`, stderr: '' };
}

if (require.main === module) {
  const { code, stdout, stderr } = runTrace(process.argv.slice(2));
  process.stdout.write(stdout);
  process.stderr.write(stderr);
  process.exitCode = code;
}

module.exports = { runTrace };
