import type { EngineCall, SandboxCall, SandboxEmail } from './observed';

/**
 * What the outside world received, counted from the sandboxes' own raw records only: every message
 * the email provider recorded (with the call it came in) and every request the engine received (with
 * its `Idempotency-Key`, time and answer), the engine running with its key deduplication off, as a
 * real engine (an n8n webhook) does. Nothing here reads our ledger, telemetry or the deduplicated
 * execution list, so a double made by our side cannot hide behind our own bookkeeping.
 */
export interface RawFigures {
  /** Messages the provider recorded. */
  emailsReceived: number;
  /** Requests the engine received (every answer, faults included). */
  engineRequests: number;
  /** Executions the engine started (requests answered with a new execution). */
  workflowStarted: number;
  /** Jobs delivered exactly once (one email, or one execution started). */
  deliveredOnce: number;
  /** Jobs expected and neither received by a sandbox nor dead-lettered. */
  lost: string[];
  /** Email jobs the provider recorded more than once. */
  emailDoubled: string[];
  /** Email jobs with a message in a call the batcher got no answer to in time (hung, or too late). */
  emailAmbiguous: string[];
  /** Email doubles that were in no such call: must be none. */
  emailDoubledUnexplained: string[];
  /** Email calls the batcher got no answer to in time (each one to reconcile with a search). */
  emailUnansweredCalls: number;
  /** Searches the provider received (`GET /messages/outbound`), failed ones included. */
  emailSearches: number;
  /**
   * For each email job in a call the provider recorded but did not answer in time: the time from that
   * call to the ledger's "found at the provider" line (the delay reconciliation added), in ms.
   */
  emailReconcileDelaysMs: number[];
  /**
   * Workflow jobs the engine started more than once WITHOUT an unanswered call for the key before the
   * later start: a double our side made with nothing ambiguous to excuse it. Must be none.
   */
  workflowDoubled: string[];
  /** Workflow jobs called again after a call for the same key that was not answered in time. */
  workflowAmbiguous: string[];
  /** Of those, the jobs the engine started more than once (an engine without deduplication). */
  workflowAmbiguousDoubled: string[];
  /**
   * The email and workflow jobs of calls whose caller surely got no answer (none given, or one given
   * well past its timeout): our ledger must show each as ambiguous. Narrower than `emailAmbiguous`
   * and `workflowAmbiguous`, which also count an answer that came close to the timeout (on a loaded
   * machine the caller may or may not have read it in time: either ledger entry is right then).
   */
  surelyAmbiguous: string[];
}

/** How long each caller waits for an answer: one given later never reached it. */
export interface CallerTimeouts {
  emailMs: number;
  engineMs: number;
}

const emailJobOf = (email: SandboxEmail) =>
  `${email.metadata?.source}:${email.metadata?.eventId}:email:${email.tag}`;

/**
 * How long an answer may take to reach the caller after the sandbox sent it. On a loaded machine an
 * answer sent shortly before the caller's timeout can arrive after it (the run's own ledger then shows
 * the attempt as unknown): such a call is counted unanswered. A re-call after a plain answer (sent in
 * milliseconds) is still a double.
 */
export const DELIVERY_MARGIN_MS = 1000;

/** A call as a sandbox saw it: when it arrived and, if it did, when its answer left. */
type Timed = { at: number; answeredAt?: number };

/** Whether the caller surely got this call's answer: answered at all, well within its timeout. */
const answered = (call: Timed, timeoutMs: number) =>
  call.answeredAt !== undefined && call.answeredAt - call.at < timeoutMs - DELIVERY_MARGIN_MS;

/**
 * Whether the caller surely did not get this call's answer: none given, or one given well after its
 * timeout (the caller started its clock before the sandbox saw the request). Between the two lies
 * an answer near the timeout, which a slow caller may or may not have read in time.
 */
const surelyUnanswered = (call: Timed, timeoutMs: number) =>
  call.answeredAt === undefined || call.answeredAt - call.at > timeoutMs + DELIVERY_MARGIN_MS;

/** The ids of the calls that `unheard` says their caller did not hear back from. */
const callIdsWhere = (
  calls: readonly SandboxCall[],
  unheard: (call: Timed) => boolean,
): ReadonlySet<string> => new Set(calls.filter(unheard).map((call) => call.callId));

/** Whether a key was called again after a call (in time order) that `unheard` says went unheard. */
const recalledAfter = (inOrder: readonly EngineCall[], unheard: (call: Timed) => boolean) =>
  inOrder.some((call, index) => index < inOrder.length - 1 && unheard(call));

/** Counts the raw records of a run against the jobs of its accepted events and its dead letters. */
export function rawFigures(
  expected: ReadonlySet<string>,
  deadLettered: ReadonlySet<string>,
  records: {
    emails: readonly SandboxEmail[];
    emailCalls: readonly SandboxCall[];
    emailSearches?: readonly unknown[];
    /** The email ledger's history per job id (for the reconciliation delay). */
    emailHistory?: ReadonlyMap<string, readonly string[]>;
    engineCalls: readonly EngineCall[];
  },
  timeouts: CallerTimeouts,
): RawFigures {
  const unansweredEmailCalls = callIdsWhere(
    records.emailCalls,
    (call) => !answered(call, timeouts.emailMs),
  );
  const surelyUnansweredEmailCalls = callIdsWhere(records.emailCalls, (call) =>
    surelyUnanswered(call, timeouts.emailMs),
  );
  const emails = new Map<string, number>();
  const emailAmbiguous = new Set<string>();
  const surelyAmbiguous = new Set<string>();
  for (const email of records.emails) {
    const job = emailJobOf(email);
    emails.set(job, (emails.get(job) ?? 0) + 1);
    if (unansweredEmailCalls.has(email.callId)) emailAmbiguous.add(job);
    if (surelyUnansweredEmailCalls.has(email.callId)) surelyAmbiguous.add(job);
  }

  const callsByKey = new Map<string, EngineCall[]>();
  for (const call of records.engineCalls) {
    const key = call.idempotencyKey ?? `(no key ${call.callId})`;
    const list = callsByKey.get(key) ?? [];
    list.push(call);
    callsByKey.set(key, list);
  }
  const starts = new Map<string, number>();
  const workflowDoubled: string[] = [];
  const workflowAmbiguous: string[] = [];
  const workflowAmbiguousDoubled: string[] = [];
  for (const [key, calls] of callsByKey) {
    const inOrder = [...calls].sort((a, b) => a.at - b.at);
    const started = inOrder.filter((call) => call.executionId !== undefined && !call.replayed);
    starts.set(key, started.length);
    if (recalledAfter(inOrder, (call) => !answered(call, timeouts.engineMs))) {
      workflowAmbiguous.push(key);
    }
    if (recalledAfter(inOrder, (call) => surelyUnanswered(call, timeouts.engineMs))) {
      surelyAmbiguous.add(key);
    }
    // Each start after the first must follow an unanswered call for the key made after the previous
    // start (or be that call itself): otherwise our side triggered a job it knew was started.
    let unexplained = false;
    for (let n = 1; n < started.length; n += 1) {
      const previous = started[n - 1] as EngineCall;
      const current = started[n] as EngineCall;
      const silence = inOrder.some(
        (call) =>
          call.at >= previous.at && call.at < current.at && !answered(call, timeouts.engineMs),
      );
      if (!silence) unexplained = true;
    }
    if (started.length > 1) (unexplained ? workflowDoubled : workflowAmbiguousDoubled).push(key);
  }

  const times = (job: string) => (emails.get(job) ?? 0) + (starts.get(job) ?? 0);
  const emailDoubled = [...emails].filter(([, n]) => n > 1).map(([job]) => job);
  return {
    emailsReceived: records.emails.length,
    engineRequests: records.engineCalls.length,
    workflowStarted: [...starts.values()].reduce((sum, n) => sum + n, 0),
    deliveredOnce: [...expected].filter((job) => times(job) === 1).length,
    lost: [...expected].filter((job) => times(job) === 0 && !deadLettered.has(job)),
    emailDoubled,
    emailAmbiguous: [...emailAmbiguous],
    emailDoubledUnexplained: emailDoubled.filter((job) => !emailAmbiguous.has(job)),
    emailUnansweredCalls: records.emailCalls.filter(
      (call) => (call.messages ?? 1) > 0 && !answered(call, timeouts.emailMs),
    ).length,
    emailSearches: records.emailSearches?.length ?? 0,
    emailReconcileDelaysMs: reconcileDelays(records),
    workflowDoubled,
    workflowAmbiguous,
    workflowAmbiguousDoubled,
    surelyAmbiguous: [...surelyAmbiguous],
  };
}

/** The delay reconciliation added to each job of a recorded-but-unanswered call (see RawFigures). */
function reconcileDelays(records: {
  emails: readonly SandboxEmail[];
  emailCalls: readonly SandboxCall[];
  emailHistory?: ReadonlyMap<string, readonly string[]>;
}): number[] {
  const callAt = new Map(records.emailCalls.map((call) => [call.callId, call.at]));
  const delays: number[] = [];
  for (const email of records.emails) {
    const at = callAt.get(email.callId);
    const history = records.emailHistory?.get(emailJobOf(email)) ?? [];
    const found = history.find((line) => line.includes(' found at the provider'));
    if (at === undefined || found === undefined) continue;
    const foundAt = Date.parse(found.slice(0, found.indexOf(' ')));
    if (Number.isFinite(foundAt)) delays.push(foundAt - at);
  }
  return delays.sort((a, b) => a - b);
}
