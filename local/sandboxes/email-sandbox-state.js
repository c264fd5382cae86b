// The sandbox email provider's recorded state: what it was sent (messages, calls, searches), the
// faults queued for the next calls and its settings, with the timers that hold calls.

/**
 * @typedef {object} SandboxFault one fault, applied to the next `times` calls (default 1)
 * @property {number} [status] answer this status instead (429, 500, ...)
 * @property {number} [retryAfter] with `status`: a `Retry-After` header in seconds
 * @property {number} [errorCode] with `status` 422: the body's ErrorCode
 * @property {'before' | 'after'} [hang] hold the call without answering, before or after recording it
 * @property {number} [hangMs] how long to hold it before dropping the connection, default 30000
 * @property {number} [times]
 *
 * @typedef {object} SandboxSettings
 * @property {string} token the accepted X-Postmark-Server-Token
 * @property {number} latencyMs added to every call
 * @property {Record<string, number>} recipientCodes an address starting with a key gets its ErrorCode
 * @property {number} searchDelayMs a message shows in the search this long after it was recorded
 * @property {number} searchLatencyMs added to every search
 * @property {Record<string, number>} callCodes a call with any message to an address starting with a
 *   key is refused whole: `422` with that ErrorCode, nothing of it sent (as Postmark does for a call
 *   it cannot take, without saying which message)
 *
 * @typedef {object} SandboxMessage
 * @property {string} messageId
 * @property {string} callId
 * @property {number} at epoch ms when its call arrived (the request started)
 * @property {number} recordedAt epoch ms when it was recorded (accepted)
 * @property {string} from
 * @property {string} to
 * @property {string} subject
 * @property {string} [tag]
 * @property {Record<string, string>} [metadata]
 * @property {string} [messageStream]
 * @property {string} [htmlBody]
 * @property {string} [textBody]
 *
 * @typedef {object} SandboxCall
 * @property {string} callId
 * @property {number} at
 * @property {number} messages
 * @property {number} status
 * @property {number} accepted
 * @property {boolean} recorded
 * @property {number} [answeredAt] epoch ms when the answer was handed to the connection (none: the
 *   caller never got one, as for a hang)
 */

/**
 * What the sandbox records and is told, kept for its lifetime (a reset empties it).
 * @typedef {object} SandboxState
 * @property {SandboxMessage[]} messages
 * @property {SandboxCall[]} calls
 * @property {SandboxFault[]} faults
 * @property {import('./email-sandbox-search').SearchRecord[]} searches
 * @property {import('./email-sandbox-search').SearchFault[]} searchFaults
 * @property {SandboxSettings} settings
 */

/** Messages kept in memory; older ones are dropped first. */
const KEEP_MESSAGES = 100_000;
const DEFAULT_CODES = Object.freeze({ 'inactive@': 406 });

/** The settings a sandbox starts with (and a reset returns to). @returns {SandboxSettings} */
const initialSettings = (/** @type {string} */ token) => ({
  token,
  latencyMs: 0,
  recipientCodes: { ...DEFAULT_CODES },
  callCodes: {},
  searchDelayMs: 0,
  searchLatencyMs: 0,
});

/**
 * A sandbox's state when it starts.
 * @param {string} token the accepted X-Postmark-Server-Token
 * @returns {SandboxState}
 */
function newState(token) {
  return {
    messages: [],
    calls: [],
    faults: [],
    searches: [],
    searchFaults: [],
    settings: initialSettings(token),
  };
}

/**
 * The next fault, consumed.
 * @param {SandboxState} state
 * @returns {SandboxFault | undefined}
 */
function nextFault(state) {
  const fault = state.faults[0];
  if (!fault) return undefined;
  fault.times = (fault.times ?? 1) - 1;
  if (fault.times <= 0) state.faults.shift();
  return fault;
}

/**
 * Sleeps the sandbox can cut short when it closes: `sleep` waits, `clear` drops every timer.
 * @returns {{ sleep: (ms: number) => Promise<void>, clear: () => void }}
 */
function holdTimers() {
  /** @type {Set<NodeJS.Timeout>} */
  const holds = new Set();
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          holds.delete(timer);
          resolve(undefined);
        }, ms);
        holds.add(timer);
      }),
    clear: () => {
      for (const timer of holds) clearTimeout(timer);
      holds.clear();
    },
  };
}

module.exports = { KEEP_MESSAGES, holdTimers, initialSettings, newState, nextFault };
