import type { DeadLetterIndexItem } from '../../../shared/dead-letter/dead-letter';
import type {
  DeadLetterMessage,
  EngineCall,
  EngineExecution,
  LedgerItem,
  SandboxCall,
  SandboxEmail,
} from './observed';
import { type CallerTimeouts, type RawFigures, rawFigures } from './raw-records';
import type { SendOutcome } from './sender';
import type { PlannedEvent } from './webhooks';

/** Everything observed at the end of a run. */
export interface Observed {
  emails: SandboxEmail[];
  emailCalls: SandboxCall[];
  /** The searches the provider received (reconciliation). */
  emailSearches?: { status: number }[];
  executions: EngineExecution[];
  engineCalls: EngineCall[];
  deadLetters: DeadLetterMessage[];
  index: DeadLetterIndexItem[];
  ledger: LedgerItem[];
  /** How long the batcher and the trigger wait for an answer (a later one never reached them). */
  timeouts: CallerTimeouts;
}

/** The proof's figures: what was sent, what became of it. */
export interface Accounts {
  sent: number;
  events: number;
  accepted: number;
  rejected: Record<string, number>;
  gaveUp: number;
  duplicatesSent: number;
  duplicatesAbsorbed: number;
  identityMismatches: number;
  jobs: number;
  delivered: number;
  deadLettered: Record<string, number>;
  notIndexed: number;
  ambiguous: number;
  lost: string[];
  doubled: string[];
  /** Doubled jobs with no ambiguous attempt in their ledger: must be none. */
  doubledUnexplained: string[];
  deliveredAndDeadLettered: string[];
  producedByRejected: number;
  unexpectedOutputs: number;
  /**
   * Outputs of events the sender gave up on: a sender that timed out cannot know whether the suite
   * took the webhook, so these may or may not exist (each is still checked for doubles).
   */
  outputsOfGivenUp: number;
  engineKeyRepeats: number;
  senderRetries: Record<string, number>;
  emailFaultsHit: Record<string, number>;
  engineFaultsHit: Record<string, number>;
  /** The same run counted from the sandboxes' raw records alone. */
  raw: RawFigures;
  /**
   * Jobs the raw records show as surely ambiguous (a call whose caller got no answer in time, then
   * another) that our ledger does not count as ambiguous, or that were neither delivered nor
   * dead-lettered: must be none, every ambiguous job is accounted for.
   */
  ambiguousUnaccounted: string[];
}

const count = (into: Record<string, number>, key: string) => {
  into[key] = (into[key] ?? 0) + 1;
};

const REJECTION: Record<number, string> = {
  400: 'malformed (400)',
  401: 'bad signature (401)',
  404: 'unknown source (404)',
  413: 'too large (413)',
  415: 'unsupported type (415)',
};

/** Whether a job's ledger history shows a claim after an attempt whose outcome was unknown. */
function hadAmbiguousAttempt(history: readonly string[]): boolean {
  const notes = history.map((line) => line.slice(line.indexOf(' ') + 1));
  return notes.some(
    (note, i) =>
      i > 0 &&
      note.startsWith('claimed') &&
      ((notes[i - 1] ?? '').startsWith('claimed') || (notes[i - 1] ?? '').startsWith('unknown')),
  );
}

/** Settles every delivery and job of the run against what the sandboxes, DLQs and ledger hold. */
export function account(outcomes: readonly SendOutcome[], observed: Observed): Accounts {
  const byEvent = new Map<PlannedEvent, SendOutcome[]>();
  for (const outcome of outcomes) {
    const list = byEvent.get(outcome.delivery.event) ?? [];
    list.push(outcome);
    byEvent.set(outcome.delivery.event, list);
  }
  const accepted: PlannedEvent[] = [];
  const rejected: Record<string, number> = {};
  const refusedEvents: PlannedEvent[] = [];
  const givenUpEvents: PlannedEvent[] = [];
  let identityMismatches = 0;
  for (const [event, list] of byEvent) {
    const ok = list.filter((o) => typeof o.status === 'number' && o.status < 300);
    if (ok.length > 0) {
      accepted.push(event);
      identityMismatches += ok.filter((o) => o.eventId !== event.eventId).length;
    } else if (list.every((o) => typeof o.status === 'number')) {
      refusedEvents.push(event);
      count(rejected, REJECTION[list[0]?.status as number] ?? `status ${list[0]?.status}`);
    } else givenUpEvents.push(event);
  }

  const delivered = new Map<string, number>();
  for (const email of observed.emails) {
    const m = email.metadata ?? {};
    const key = `${m.source}:${m.eventId}:email:${email.tag}`;
    delivered.set(key, (delivered.get(key) ?? 0) + 1);
  }
  for (const execution of observed.executions) {
    const key = execution.idempotencyKey ?? `(no key ${execution.executionId})`;
    delivered.set(key, (delivered.get(key) ?? 0) + 1);
  }
  const dead = new Map<string, string>();
  const deadLettered: Record<string, number> = {};
  for (const letter of observed.deadLetters) {
    const reason = letter.reasonCode ?? 'redrive (no reason)';
    dead.set(letter.jobId, reason);
    count(deadLettered, `${letter.queue}: ${reason}`);
  }
  const indexed = new Set(observed.index.map((item) => item.jobId));
  const ambiguousJobs = new Set(
    observed.ledger
      .filter((item) => hadAmbiguousAttempt(item.history ?? []))
      .map((item) => item.pk.replace(/^job#(email|workflow)#/, '')),
  );

  const expected = new Set(accepted.flatMap((event) => event.jobIds));
  const givenUpJobs = new Set(givenUpEvents.flatMap((event) => event.jobIds));
  const lost: string[] = [];
  const doubled: string[] = [];
  const both: string[] = [];
  let once = 0;
  for (const job of expected) {
    const times = delivered.get(job) ?? 0;
    if (times === 1) once += 1;
    if (times > 1) doubled.push(job);
    if (times === 0 && !dead.has(job)) lost.push(job);
    if (times > 0 && dead.has(job)) both.push(job);
  }
  // A webhook the sender gave up on may have been taken: its jobs may be done, but never twice.
  for (const job of givenUpJobs) {
    if (expected.has(job)) continue;
    const times = delivered.get(job) ?? 0;
    if (times > 1) doubled.push(job);
    if (times > 0 && dead.has(job)) both.push(job);
  }
  const refusedJobs = new Set(refusedEvents.flatMap((event) => event.jobIds));
  const outputs = [...delivered.keys(), ...dead.keys()];
  const duplicateOutcomes = outcomes.filter((o) => o.delivery.duplicate);
  const senderRetries: Record<string, number> = {};
  for (const outcome of outcomes) for (const why of outcome.retries) count(senderRetries, why);
  const faults = (calls: readonly { status: number }[]) => {
    const hit: Record<string, number> = {};
    for (const call of calls) if (call.status !== 200) count(hit, String(call.status));
    return hit;
  };
  const emailHistory = new Map(
    observed.ledger
      .filter((item) => item.pk.startsWith('job#email#'))
      .map((item) => [item.pk.replace(/^job#email#/, ''), item.history ?? []]),
  );
  const raw = rawFigures(
    expected,
    new Set(dead.keys()),
    { ...observed, emailHistory },
    observed.timeouts,
  );
  const rawLost = new Set(raw.lost);
  const ambiguousUnaccounted = raw.surelyAmbiguous
    .filter((job) => expected.has(job))
    .filter((job) => !ambiguousJobs.has(job) || rawLost.has(job));
  return {
    raw,
    ambiguousUnaccounted,
    sent: outcomes.length,
    events: byEvent.size,
    accepted: accepted.length,
    rejected,
    gaveUp: givenUpEvents.length,
    duplicatesSent: duplicateOutcomes.length,
    duplicatesAbsorbed: duplicateOutcomes.filter(
      (o) =>
        typeof o.status === 'number' &&
        o.status < 300 &&
        o.delivery.event.jobIds.every((job) => (delivered.get(job) ?? 0) <= 1),
    ).length,
    identityMismatches,
    jobs: expected.size,
    delivered: once,
    deadLettered,
    notIndexed: [...dead.keys()].filter((job) => !indexed.has(job)).length,
    ambiguous: ambiguousJobs.size,
    lost,
    doubled,
    doubledUnexplained: doubled.filter((job) => !ambiguousJobs.has(job)),
    deliveredAndDeadLettered: both,
    producedByRejected: outputs.filter((job) => refusedJobs.has(job)).length,
    unexpectedOutputs: outputs.filter(
      (job) => !expected.has(job) && !refusedJobs.has(job) && !givenUpJobs.has(job),
    ).length,
    outputsOfGivenUp: new Set(outputs.filter((job) => givenUpJobs.has(job) && !expected.has(job)))
      .size,
    engineKeyRepeats: observed.engineCalls.filter((call) => call.replayed).length,
    senderRetries,
    emailFaultsHit: faults(observed.emailCalls),
    engineFaultsHit: faults(observed.engineCalls),
  };
}
