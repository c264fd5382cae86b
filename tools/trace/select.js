// Picks one event's lines out of the local stack's JSON log file, in time order.

/** @typedef {Record<string, any>} LogLine one parsed JSON log line */

/**
 * The log lines of a JSON Lines text; lines that are not JSON objects are skipped.
 * @param {string} text
 * @returns {LogLine[]}
 */
function parseLogLines(text) {
  /** @type {LogLine[]} */
  const lines = [];
  for (const raw of text.split('\n')) {
    if (!raw.startsWith('{')) continue;
    try {
      const line = JSON.parse(raw);
      if (line && typeof line === 'object' && !Array.isArray(line)) lines.push(line);
    } catch {
      // A line cut short (the stack was killed mid-write): skip it.
    }
  }
  return lines;
}

/**
 * @param {LogLine} line
 * @param {string} id
 */
const mentions = (line, id) =>
  line.correlationId === id ||
  (Array.isArray(line.correlationIds) && line.correlationIds.includes(id));

/**
 * The lines of one event: those carrying its correlation id (`correlationId`, or `correlationIds` of
 * a provider call or a batch), and the lines without a correlation id of their own logged by an
 * invocation that handled the event (same `function_request_id`: the breaker opened, the provider
 * paused). Sorted by timestamp; lines of the same millisecond keep their order in the file.
 * @param {readonly LogLine[]} lines
 * @param {string} correlationId
 * @returns {LogLine[]}
 */
function selectEvent(lines, correlationId) {
  const invocations = new Set();
  for (const line of lines) {
    if (mentions(line, correlationId) && typeof line.function_request_id === 'string') {
      invocations.add(line.function_request_id);
    }
  }
  const selected = lines
    .map((line, index) => ({ line, index }))
    .filter(
      ({ line }) =>
        mentions(line, correlationId) ||
        (line.correlationId === undefined &&
          line.correlationIds === undefined &&
          invocations.has(line.function_request_id)),
    );
  const at = (/** @type {LogLine} */ line) => {
    const time = Date.parse(String(line.timestamp));
    return Number.isNaN(time) ? 0 : time;
  };
  selected.sort((a, b) => at(a.line) - at(b.line) || a.index - b.index);
  return selected.map(({ line }) => line);
}

/** Job outcomes that end a job's path. */
const FINAL = new Set(['sent', 'triggered', 'dead-lettered', 'duplicate']);

/**
 * @typedef {object} JobOutcome
 * @property {string} jobId
 * @property {string} outcome `sent`, `triggered`, `dead-lettered`, `duplicate`, or `in flight`
 * @property {string} [detail]
 * @property {string} [at]
 */

/**
 * Where each job of the event ended: its last final outcome, or `in flight` when the log shows it
 * routed or retried but not (yet) settled. Includes jobs dead-lettered at ingest.
 * @param {readonly LogLine[]} lines one event's lines in time order
 * @returns {JobOutcome[]}
 */
function jobOutcomes(lines) {
  /** @type {Map<string, JobOutcome>} */
  const jobs = new Map();
  for (const line of lines) {
    for (const queued of Array.isArray(line.queued) ? line.queued : []) {
      if (typeof queued?.jobId === 'string' && !jobs.has(queued.jobId)) {
        jobs.set(queued.jobId, { jobId: queued.jobId, outcome: 'in flight' });
      }
    }
    if (typeof line.jobId !== 'string') continue;
    const outcome = line.outcome;
    const known = jobs.get(line.jobId)?.outcome;
    // A copy delivered again after the job was done does not undo it.
    if (outcome === 'duplicate' && (known === 'sent' || known === 'triggered')) continue;
    if (FINAL.has(outcome)) {
      const detail = line.executionId ?? line.messageId ?? line.reason ?? line.errorCode;
      jobs.set(line.jobId, {
        jobId: line.jobId,
        outcome,
        ...(detail === undefined ? {} : { detail: String(detail) }),
        at: String(line.timestamp),
      });
    } else if (!jobs.has(line.jobId)) {
      jobs.set(line.jobId, { jobId: line.jobId, outcome: 'in flight' });
    }
  }
  return [...jobs.values()];
}

module.exports = { parseLogLines, selectEvent, jobOutcomes };
