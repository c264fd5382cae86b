// Pacing of the sandbox provider's batch calls, so that a benchmark meets a provider that behaves like
// one: each call takes time (a fixed part and a part per message) and only so many calls are served at
// once; the others wait for a slot, as behind a provider's connection limit. Off unless asked for
// (`POST /sandbox/settings {"pacing": {...}}`), so tests keep an instant sandbox.

/**
 * @typedef {object} Pacing
 * @property {number} perCallMs time every call takes, whatever its size
 * @property {number} perMessageMs added per message of the call
 * @property {number} maxConcurrentCalls calls served at once (0: no limit)
 */

/** @type {Readonly<Pacing>} */
const PACING_OFF = Object.freeze({ perCallMs: 0, perMessageMs: 0, maxConcurrentCalls: 0 });

/**
 * Figures of a provider like Postmark seen from AWS, used by the benchmark by default: about 200 ms
 * for a call (TLS already open: a request and its answer across regions, the provider's own
 * processing), half a millisecond more per message of a batch (a 500-message call of ~1 KB messages
 * carries half a megabyte and takes about 450 ms), and 10 calls served at once per token (providers
 * throttle concurrent connections per account; Postmark publishes no figure, 10 is a cautious one).
 * @type {Readonly<Pacing>}
 */
const PROVIDER_LIKE = Object.freeze({ perCallMs: 200, perMessageMs: 0.5, maxConcurrentCalls: 10 });

/**
 * Pacing settings from a request body, on top of the current ones; non-numbers are ignored and
 * negative numbers count as 0.
 * @param {unknown} input
 * @param {Pacing} current
 * @returns {Pacing}
 */
function pacingFrom(input, current) {
  const next = { ...current };
  if (!input || typeof input !== 'object') return next;
  for (const name of /** @type {(keyof Pacing)[]} */ (Object.keys(PACING_OFF))) {
    const value = /** @type {Record<string, unknown>} */ (input)[name];
    if (typeof value === 'number' && Number.isFinite(value)) next[name] = Math.max(0, value);
  }
  next.maxConcurrentCalls = Math.floor(next.maxConcurrentCalls);
  return next;
}

/** Serves calls under a {@link Pacing}: at most its number at once, each for its time. */
class CallPacer {
  #active = 0;
  /** @type {(() => void)[]} */
  #waiting = [];
  /** Most calls served at once so far. */
  peak = 0;

  /**
   * Waits for a slot, then for the call's time (the sandbox's plain `latencyMs` included); the slot is
   * free again when this resolves.
   * @param {{ pacing?: Pacing, latencyMs: number }} settings no `pacing`: off
   * @param {number} messages
   * @param {(ms: number) => Promise<unknown>} sleep
   */
  async pace({ pacing = PACING_OFF, latencyMs }, messages, sleep) {
    const ms = latencyMs + pacing.perCallMs + pacing.perMessageMs * messages;
    if (ms <= 0 && pacing.maxConcurrentCalls === 0) return;
    while (pacing.maxConcurrentCalls > 0 && this.#active >= pacing.maxConcurrentCalls) {
      await new Promise((resolve) => this.#waiting.push(() => resolve(undefined)));
    }
    this.#active += 1;
    this.peak = Math.max(this.peak, this.#active);
    try {
      if (ms > 0) await sleep(ms);
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }
}

/** One pacer per sandbox (its state object). @type {WeakMap<object, CallPacer>} */
const pacers = new WeakMap();

/**
 * Paces one batch call of a sandbox by its settings (`state.settings.pacing`, set through
 * `POST /sandbox/settings`, and `latencyMs`).
 * @param {{ settings: { pacing?: Pacing, latencyMs: number } }} state
 * @param {number} messages
 * @param {(ms: number) => Promise<unknown>} sleep the sandbox's own, whose timers close() clears
 */
function paceCall(state, messages, sleep) {
  let pacer = pacers.get(state);
  if (!pacer) {
    pacer = new CallPacer();
    pacers.set(state, pacer);
  }
  return pacer.pace(state.settings, messages, sleep);
}

module.exports = { CallPacer, PACING_OFF, PROVIDER_LIKE, paceCall, pacingFrom };
