import { AsyncLocalStorage } from 'node:async_hooks';
import type { TimeoutSettings } from './options';

/**
 * One invocation's time budget. `work` aborts when the work must stop; `cleanup` aborts at the very
 * end, after the reserve kept for undoing a half-done step.
 */
export interface Deadline {
  readonly work: AbortSignal;
  readonly cleanup: AbortSignal;
  /** Epoch milliseconds at which `cleanup` aborts. */
  readonly endsAt: number;
}

/**
 * Where the current deadline lives. Lambda runs one invocation at a time per process, and then a
 * module variable (`solo`) is enough; only when invocations overlap in one process (tests, or a
 * runtime that runs several at once) does a deadline go into AsyncLocalStorage. Written this way
 * because on Node 22 the first `AsyncLocalStorage.run` installs promise hooks for the rest of the
 * process, and those cost every invocation after it about 5 ms of CPU on a cold start and about 7 %
 * of a warm webhook's CPU (npm run bench; `--cpu-prof` put it in `node:async_hooks`). Node 24
 * backs AsyncLocalStorage with AsyncContextFrame and would not need this. AWS's own
 * `@aws/lambda-invoke-store` chooses the same way (a plain field unless the runtime runs
 * invocations concurrently).
 */
const current = new AsyncLocalStorage<Deadline>();
let solo: Deadline | undefined;
let running = 0;

/**
 * The deadline code running now belongs to. The store comes first: code that runs under
 * AsyncLocalStorage belongs to an overlapping invocation; code outside any store belongs to the
 * invocation that started while none ran, if it still runs.
 */
function active(): Deadline | undefined {
  return current.getStore() ?? solo;
}

/** The deadline of the invocation this code runs in, if it runs inside one. */
export function currentDeadline(): Deadline | undefined {
  return active();
}

/**
 * The signal a call made now should honour: the work signal while there is work time left, then the
 * cleanup signal (a call started after the work deadline can only be cleanup, such as Powertools
 * deleting its in-progress record after the work failed).
 */
export function currentSignal(): AbortSignal | undefined {
  const deadline = active();
  if (!deadline) return undefined;
  return deadline.work.aborted ? deadline.cleanup : deadline.work;
}

/** Milliseconds left before the deadline ends, or `undefined` outside one. */
export function remainingMs(now = Date.now()): number | undefined {
  const deadline = active();
  return deadline ? Math.max(0, deadline.endsAt - now) : undefined;
}

/**
 * Runs `fn` under one deadline: every call made through a client bound with {@link bindToDeadline}
 * (our own calls and those libraries make for us, Powertools included) is aborted when it ends.
 * An invocation that starts while none runs keeps its deadline in `solo`; one that starts while
 * another runs (or inside another's store) gets its own AsyncLocalStorage store, and the first one's
 * code, which runs outside any store, still finds its own in `solo`.
 */
export async function runWithinDeadline<T>(
  settings: Pick<TimeoutSettings, 'deadlineMs' | 'cleanupReserveMs'>,
  fn: () => Promise<T>,
): Promise<T> {
  const work = AbortSignal.timeout(settings.deadlineMs - settings.cleanupReserveMs);
  const cleanup = AbortSignal.timeout(settings.deadlineMs);
  const deadline = { work, cleanup, endsAt: Date.now() + settings.deadlineMs };
  const alone = running === 0 && current.getStore() === undefined;
  running += 1;
  if (alone) solo = deadline;
  try {
    return await (alone ? fn() : current.run(deadline, fn));
  } finally {
    running -= 1;
    if (solo === deadline) solo = undefined;
  }
}

type Sendable = { send: (command: never, options?: never) => Promise<unknown> };
const BOUND = Symbol('boundToDeadline');

/**
 * Makes every `send` of an AWS SDK client honour the current invocation's deadline, by passing its
 * abort signal along (with any signal the caller gave). Written here because the SDK has no hook for
 * a per-invocation budget and Powertools calls `send` on the client we give it without options.
 * Binding twice is harmless. Returns the same client.
 */
export function bindToDeadline<C extends Sendable>(client: C): C {
  const target = client as C & { [BOUND]?: true };
  if (target[BOUND]) return client;
  const send = client.send.bind(client) as (
    command: unknown,
    options?: unknown,
  ) => Promise<unknown>;
  const bound = (command: unknown, options?: unknown) => {
    const signal = currentSignal();
    if (!signal || typeof options === 'function') return send(command, options);
    const given = (options as { abortSignal?: AbortSignal } | undefined)?.abortSignal;
    const abortSignal = given ? AbortSignal.any([given, signal]) : signal;
    return send(command, { ...(options as object | undefined), abortSignal });
  };
  Object.assign(target, { send: bound, [BOUND]: true });
  return client;
}
