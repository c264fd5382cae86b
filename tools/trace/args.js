// The command line of `npm run trace`: parsing and usage. Bad arguments are a UsageError (exit 2).

/** Exit codes of `npm run trace`. */
const TRACE_EXIT = Object.freeze({ ok: 0, notFound: 1, usage: 2 });

/** What a correlation id may look like: the ingest's own rule, so no id needs quoting in a query. */
const CORRELATION_ID = /^[\w.:-]{1,128}$/;

/** AWS region names (`us-east-1`, `eu-central-2`, `us-gov-west-1`). */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;

/** A stage name as serverless accepts it. */
const STAGE = /^[a-zA-Z0-9-]{1,32}$/;

const TRACE_USAGE = `Usage: npm run trace -- <correlationId> [options]

Prints the path of one event in time order: ingest (accepted, routes, queue message ids), each queue
hop, each consumer attempt (claimed, deferred or retried with its delay, the provider or engine call
with its status and latency) and the final outcome (sent, triggered, dead-lettered).

Options:
  --log-file <file>   the local stack's JSON log file (default: LOCAL_LOG_FILE, else
                      .local-state/logs.jsonl; npm run dev prints it at start)
  --json              machine output: the selected log lines and outcomes as JSON
  --stage <stage>     a deployed stage: print the CloudWatch Logs Insights query that does the same
                      (with the log group of every function) instead of reading a local file
  --region <region>   with --stage: the region (default us-east-1)
  -h, --help          this text

Exit codes: 0 found, 1 no log line carries the id (or no log file), 2 bad arguments.`;

/** A command line that cannot be run: the message says why. */
class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * @typedef {object} TraceArgs
 * @property {boolean} help
 * @property {string} correlationId
 * @property {boolean} json
 * @property {string} [logFile]
 * @property {string} [stage]
 * @property {string} region
 */

/**
 * @param {readonly string[]} argv the arguments after the script
 * @returns {TraceArgs}
 */
function parseTraceArgs(argv) {
  /** @type {string[]} */
  const positional = [];
  /** @type {Partial<TraceArgs>} */
  const options = {};
  /** @param {number} index @param {string} flag */
  const valueAt = (index, flag) => {
    const value = argv[index + 1];
    if (value === undefined || value.startsWith('--')) {
      throw new UsageError(`${flag} needs a value.`);
    }
    return value;
  };
  for (let index = 0; index < argv.length; index += 1) {
    const arg = /** @type {string} */ (argv[index]);
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const take = () => {
      if (inline !== undefined) return inline;
      const value = valueAt(index, /** @type {string} */ (flag));
      index += 1;
      return value;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return { help: true, correlationId: '', json: false, region: 'us-east-1' };
      case '--json':
        options.json = true;
        break;
      case '--log-file':
        options.logFile = take();
        break;
      case '--stage':
        options.stage = take();
        break;
      case '--region':
        options.region = take();
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`Unknown option ${arg}.`);
        positional.push(arg);
    }
  }
  if (positional.length === 0) throw new UsageError('Give the correlation id to follow.');
  if (positional.length > 1) {
    throw new UsageError(`One correlation id at a time (got ${positional.length}).`);
  }
  const correlationId = /** @type {string} */ (positional[0]);
  if (!CORRELATION_ID.test(correlationId)) {
    throw new UsageError(
      `"${correlationId.slice(0, 40)}" is not a correlation id (letters, digits, _ . : -, at most 128).`,
    );
  }
  if (options.stage !== undefined && !STAGE.test(options.stage)) {
    throw new UsageError(`"${options.stage}" is not a stage name.`);
  }
  if (options.region !== undefined) {
    if (options.stage === undefined) throw new UsageError('--region goes with --stage.');
    if (!REGION.test(options.region)) throw new UsageError(`"${options.region}" is not a region.`);
  }
  if (options.stage !== undefined && options.logFile !== undefined) {
    throw new UsageError('--log-file reads the local stack; --stage queries AWS: not both.');
  }
  return {
    help: false,
    correlationId,
    json: options.json ?? false,
    region: options.region ?? 'us-east-1',
    ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
    ...(options.stage === undefined ? {} : { stage: options.stage }),
  };
}

module.exports = { TRACE_EXIT, TRACE_USAGE, UsageError, parseTraceArgs };
