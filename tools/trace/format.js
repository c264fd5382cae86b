// Turns one event's log lines into the readable path `npm run trace` prints. Every value of a log
// line comes from outside (an engine's executionId, a provider's error, a webhook's event id): each is
// printed with control, bidirectional and zero-width characters made visible (`\x1b`, `\u202e`), line
// breaks included, so no value can move the cursor, clear the screen or fake a line of the path.

const { visible } = require('../../shared/text/unsafe-characters');

/** @typedef {import('./select').LogLine} LogLine */

/**
 * @typedef {object} Hop one step of the path
 * @property {string} timestamp
 * @property {string} actor the function (or `sqs` for the local event source)
 * @property {string} level
 * @property {string} text
 * @property {string[]} details further lines (the queue messages an ingest sent)
 */

/**
 * A value of a log line as the terminal may show it.
 * @param {unknown} value
 */
const short = (value) => visible(String(value ?? '?'));

/**
 * What a job outcome line says.
 * @param {LogLine} line
 * @returns {string}
 */
function describeOutcome(line) {
  const job = `job ${short(line.jobId)}`;
  const attempt = line.attempts === undefined ? '' : `, attempt ${short(line.attempts)}`;
  switch (line.outcome) {
    case 'triggered':
      return `triggered ${job} (execution ${short(line.executionId)}${attempt})`;
    case 'sent':
      return `sent ${job} (provider message ${short(line.messageId)}${attempt})`;
    case 'retried':
      return `attempt ${short(line.attempts)} of ${job} failed (${short(line.status ?? line.errorCode)}): retry in ${short(line.delaySeconds)} s`;
    case 'deferred':
      return `${job} deferred ${short(line.delaySeconds)} s: ${short(line.reason)}`;
    case 'dead-lettered':
      return `dead-lettered ${job}: ${short(line.reason ?? line.errorCode)}${attempt}`;
    case 'duplicate':
      return `${job} already done: this copy is absorbed, nothing sent again`;
    case 'queued':
      return `${job} queued for the workflow trigger: ${short(line.reason)}`;
    case 'ambiguous':
      return `${job}: an earlier attempt ended without an answer (ambiguous)`;
    default:
      return `${short(line.message)}: ${job} ${short(line.outcome)}`;
  }
}

/** Keys worth showing for a line this module has no words for. */
const EXTRA_KEYS = ['outcome', 'status', 'reason', 'error', 'jobId', 'breakerState', 'seconds'];

/**
 * One hop of the path, in words.
 * @param {LogLine} line
 * @returns {Hop}
 */
function describeLine(line) {
  const actor = line.service === 'local-sqs-event-source' ? 'sqs' : short(line.service);
  /** @type {string[]} */
  const details = [];
  let text;
  switch (line.message) {
    case 'webhook accepted':
      text = `accepted event ${short(line.eventId)} from ${short(line.source)} (${short(line.eventType)}): ${short(line.routes)} route(s)`;
      for (const queued of Array.isArray(line.queued) ? line.queued : []) {
        details.push(
          `queued on ${short(queued?.queue)} as message ${short(queued?.messageId)} (job ${short(queued?.jobId)})`,
        );
      }
      break;
    case 'duplicate webhook absorbed':
      text = `duplicate delivery of event ${short(line.eventId)} from ${short(line.source)}: answered as before, nothing enqueued`;
      break;
    case 'route dead-lettered':
      text = `route ${short(line.route)} dead-lettered at ingest: ${short(line.reason)}`;
      break;
    case 'sqs message delivered':
      text = `${short(line.queue)} -> ${short(line.function)}: message ${short(line.messageId)} delivered (receive #${short(line.receiveCount)}, batch of ${short(line.batchSize)})`;
      break;
    case 'sqs message settled':
      text =
        line.result === 'deleted'
          ? `${short(line.queue)}: message ${short(line.messageId)} done, deleted`
          : `${short(line.queue)}: message ${short(line.messageId)} left for redelivery${line.error ? ` (${short(line.error)})` : ''}`;
      break;
    case 'sqs batch':
      text = `invoked with a batch of ${short(line.records)} record(s)`;
      break;
    case 'workflow job claimed':
    case 'email job claimed':
      text = `attempt ${short(line.attempt)} of job ${short(line.jobId)} claimed${line.ambiguous ? ' (an earlier attempt may have reached the provider)' : ''}`;
      break;
    case 'engine call':
      text =
        line.status === undefined
          ? `engine call (attempt ${short(line.attempt)}) got no answer in ${short(line.latencyMs)} ms: ${short(line.error)}`
          : `engine answered ${short(line.status)} in ${short(line.latencyMs)} ms (attempt ${short(line.attempt)}: ${short(line.result)})`;
      break;
    case 'provider call':
      text = `provider call with ${short(line.messages)} message(s): ${short(line.result)} in ${short(line.latencyMs)} ms`;
      break;
    case 'workflow job':
    case 'email job':
      text = describeOutcome(line);
      break;
    default:
      text =
        line.outcome === 'ambiguous'
          ? describeOutcome(line)
          : [
              short(line.message),
              ...EXTRA_KEYS.filter((key) => line[key] !== undefined).map(
                (key) =>
                  `${key}=${short(typeof line[key] === 'object' ? JSON.stringify(line[key]) : line[key])}`,
              ),
            ].join(' ');
  }
  return {
    timestamp: short(line.timestamp),
    actor,
    level: short(line.level),
    text,
    details,
  };
}

/**
 * The path as text: one line per hop (time, seconds since the first hop, actor, what happened),
 * then where each job ended.
 * @param {{ correlationId: string, source: string, lines: readonly LogLine[],
 *   outcomes: readonly import('./select').JobOutcome[] }} trace
 * @returns {string}
 */
function formatTrace({ correlationId, source, lines, outcomes }) {
  const id = short(correlationId);
  const from = short(source);
  if (lines.length === 0) return `No log line in ${from} carries correlation id ${id}.`;
  const hops = lines.map(describeLine);
  const first = Date.parse(hops[0]?.timestamp ?? '');
  const width = Math.max(...hops.map((hop) => hop.actor.length));
  const out = [`Correlation id ${id}: ${lines.length} log lines from ${from}`, ''];
  for (const hop of hops) {
    const time = Date.parse(hop.timestamp);
    const clock = Number.isNaN(time) ? hop.timestamp.padEnd(12) : hop.timestamp.slice(11, 23);
    const since = Number.isNaN(time - first) ? '' : `+${((time - first) / 1000).toFixed(3)}s`;
    const flag = hop.level === 'WARN' || hop.level === 'ERROR' ? ` [${hop.level}]` : '';
    const prefix = `${clock}  ${since.padStart(9)}  ${hop.actor.padEnd(width)}  `;
    out.push(`${prefix}${hop.text}${flag}`);
    for (const detail of hop.details) out.push(`${' '.repeat(prefix.length)}  ${detail}`);
  }
  out.push('', 'Outcome:');
  if (outcomes.length === 0) out.push('  no job of this event shows in the log');
  for (const job of outcomes) {
    const detail = job.detail ? ` (${short(job.detail)})` : '';
    out.push(`  ${short(job.jobId)}: ${short(job.outcome)}${detail}`);
  }
  return out.join('\n');
}

module.exports = { describeLine, formatTrace };
