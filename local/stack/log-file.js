const fs = require('node:fs');
const path = require('node:path');

/** The environment variable that names the local stack's JSON log file. */
const LOG_FILE_ENV = 'LOCAL_LOG_FILE';

/** Longest partial line kept while waiting for its end: a runaway write without newline is dropped. */
const MAX_PENDING_CHARS = 1_000_000;

/**
 * Where the local stack appends its JSON log lines: `LOCAL_LOG_FILE` when set; else beside the
 * stack's state file when it has one (`<state>.logs.jsonl`, so each test stack keeps its own); else
 * `.local-state/logs.jsonl` in the service directory.
 * @param {{ serviceDir: string, env?: NodeJS.ProcessEnv }} options
 * @returns {string}
 */
function localLogFile({ serviceDir, env = process.env }) {
  const given = env[LOG_FILE_ENV];
  if (given) return path.resolve(serviceDir, given);
  const stateFile = env.LOCAL_STACK_STATE_FILE;
  if (stateFile) {
    const absolute = path.resolve(serviceDir, stateFile);
    return path.join(path.dirname(absolute), `${path.basename(absolute, '.json')}.logs.jsonl`);
  }
  return path.join(serviceDir, '.local-state', 'logs.jsonl');
}

/**
 * The log line a console line is, or undefined: only a JSON object with a `level` and a `message`
 * (what Powertools Logger writes) counts; metrics (EMF) and the framework's own text do not. A line
 * without a timestamp gets the time it was seen.
 * @param {string} line
 * @param {() => number} now
 * @returns {string | undefined}
 */
function jsonLogLine(line, now) {
  const text = line.trim();
  if (!text.startsWith('{') || !text.endsWith('}')) return undefined;
  /** @type {unknown} */
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entry = /** @type {Record<string, unknown>} */ (parsed);
  if (typeof entry.level !== 'string' || typeof entry.message !== 'string') return undefined;
  if (typeof entry.timestamp === 'string') return text;
  return JSON.stringify({ timestamp: new Date(now()).toISOString(), ...entry });
}

/**
 * @typedef {object} LogSink
 * @property {string} file
 * @property {(entry: Record<string, unknown>) => void} write appends one entry (a `timestamp` is
 *   added when it has none)
 * @property {() => Promise<void>} close restores the console streams and closes the file
 */

/**
 * Appends every JSON log line written to `streams` (the process's stdout and stderr, where
 * serverless-offline's worker threads and in-process runner both write the handlers' output) to
 * `file`, while the console still shows everything as before. Lines are reassembled per stream
 * before they are parsed, so a line split over several writes is still seen whole.
 * @param {{ file: string, streams?: NodeJS.WriteStream[], now?: () => number }} options
 * @returns {LogSink}
 */
function teeJsonLogs({ file, streams = [process.stdout, process.stderr], now = Date.now }) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file, { flags: 'a' });
  out.on('error', () => {
    // A log file that cannot be written must not stop the stack; the console still has it all.
  });
  let open = true;
  /** @param {string} line */
  const append = (line) => {
    if (open) out.write(`${line}\n`);
  };
  /** @type {Array<() => void>} */
  const restores = [];
  for (const stream of streams) {
    const original = stream.write;
    let pending = '';
    /** @type {any} */
    const patched = function write(/** @type {any[]} */ ...args) {
      const [chunk, encoding] = args;
      const text =
        typeof chunk === 'string'
          ? chunk
          : Buffer.from(chunk).toString(
              typeof encoding === 'string' ? /** @type {BufferEncoding} */ (encoding) : 'utf8',
            );
      pending += text;
      let end = pending.indexOf('\n');
      while (end >= 0) {
        const line = jsonLogLine(pending.slice(0, end), now);
        if (line !== undefined) append(line);
        pending = pending.slice(end + 1);
        end = pending.indexOf('\n');
      }
      if (pending.length > MAX_PENDING_CHARS) pending = '';
      return original.apply(stream, /** @type {any} */ (args));
    };
    stream.write = patched;
    restores.push(() => {
      if (stream.write === patched) stream.write = original;
    });
  }
  return {
    file,
    write(entry) {
      append(JSON.stringify({ timestamp: new Date(now()).toISOString(), ...entry }));
    },
    close() {
      for (const restore of restores.splice(0)) restore();
      open = false;
      return new Promise((resolve) => out.end(() => resolve(undefined)));
    },
  };
}

module.exports = { LOG_FILE_ENV, localLogFile, jsonLogLine, teeJsonLogs };
