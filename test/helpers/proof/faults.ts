import type { LocalStackState } from '../stack/local-stack';

/** What goes wrong during a proof run, and for how long. */
export interface FaultPlan {
  /**
   * When the faults begin, ms after traffic is flowing (the first tenth of the webhooks answered):
   * a freeze while the stack was still starting its functions met no request (a CI-like run with a
   * slow first answer froze DynamoDB before any webhook reached it, and no sender saw a 503).
   */
  startMs: number;
  /** How many calls get each queued fault (429, 500) at the email provider. */
  emailFaultCalls: number;
  /** How many calls get each queued fault (429, 500, hang before, hang after) at the engine. */
  engineFaultCalls: number;
  /** How long a hung email call is held before its connection drops (past the batcher's timeout). */
  emailHangMs: number;
  /**
   * How many email calls the provider records and then never answers (reconciled, not re-sent). Each
   * other email fault makes the batcher call again with the same jobs, so the queue is surely met
   * while the run has email jobs; a hang after recording ends that chain (its jobs are found at the
   * provider), so any beyond the first needs email traffic still coming in.
   */
  emailHangAfterCalls: number;
  /** How long a hung engine call is held (past the trigger's timeout). */
  engineHangMs: number;
  /** DynamoDB Local is frozen (SIGSTOP) this long, once. */
  freezeMs: number;
  /** The engine answers 503 to every call this long (its breaker opens). */
  engineOutageMs: number;
  /** How long the schedule waits for calls to meet the queued faults (a starved machine calls slowly). */
  metDeadlineMs: number;
}

/** When the faults began and stopped, and what was done (for the report). */
export interface FaultLog {
  startedAt: number;
  stoppedAt: number;
  steps: string[];
  /**
   * Queued faults no call met before the schedule's deadline (the email sandbox's then cleared, the
   * engine's left queued): the run did not go through them when it claimed to.
   */
  unmet: { email: number; engine: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A control call to a sandbox; a refusal fails the run, since the faults would not be what it says. */
async function control(url: string, method: string, body?: unknown): Promise<void> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}`);
}

/** How many calls the email sandbox's queued faults still wait for. */
async function pendingEmailFaults(state: LocalStackState): Promise<number> {
  const response = await fetch(`${state.emailSandbox}/sandbox`, {
    signal: AbortSignal.timeout(5000),
  });
  const { pendingFaults } = (await response.json()) as { pendingFaults: { times?: number }[] };
  return pendingFaults.reduce((sum, fault) => sum + (fault.times ?? 1), 0);
}

/** How many engine calls met a queued fault (429, 500 or a hang; the outage answers 503). */
async function engineFaultsMet(state: LocalStackState): Promise<number> {
  const response = await fetch(`${state.workflowSandbox}/sandbox/calls`, {
    signal: AbortSignal.timeout(30_000),
  });
  const { calls } = (await response.json()) as { calls: { status: number }[] };
  return calls.filter((call) => [429, 500, -1].includes(call.status)).length;
}

/** Freezes a process for `ms`, resuming it whatever happens meanwhile. */
async function freeze(pid: number, ms: number): Promise<void> {
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * Runs the fault schedule against a private stack: queued 429, 500 and hangs (before and after the
 * provider records the call) at the email sandbox and the engine, one DynamoDB Local freeze, then an
 * engine outage; then waits for calls to meet the queued faults, and clears any the email sandbox
 * still holds at the deadline (reported as unmet).
 */
export async function runFaults(
  state: LocalStackState,
  plan: FaultPlan,
  trafficFlowing: Promise<void>,
): Promise<FaultLog> {
  const steps: string[] = [];
  await trafficFlowing;
  await sleep(plan.startMs);
  const startedAt = Date.now();
  const note = (step: string) => steps.push(`+${Date.now() - startedAt} ms ${step}`);
  const hang = { hangMs: plan.emailHangMs, times: 1 };
  const emailFaults = [
    { status: 429, retryAfter: 1, times: plan.emailFaultCalls },
    { status: 500, times: plan.emailFaultCalls },
    { ...hang, hang: 'before' },
    { ...hang, hang: 'after', times: plan.emailHangAfterCalls },
  ];
  await control(`${state.emailSandbox}/sandbox/faults`, 'POST', emailFaults);
  note(
    `email provider: queued 429, 500, a hang before recording and ${plan.emailHangAfterCalls} hang(s) after recording`,
  );
  await control(`${state.workflowSandbox}/sandbox/faults`, 'POST', [
    { status: 429, retryAfter: 1, times: plan.engineFaultCalls },
    { status: 500, times: plan.engineFaultCalls },
    { hang: 'before', hangMs: plan.engineHangMs, times: plan.engineFaultCalls },
    { hang: 'after', hangMs: plan.engineHangMs, times: plan.engineFaultCalls },
  ]);
  note(`engine: queued ${plan.engineFaultCalls} calls each of 429, 500, hang before, hang after`);
  await sleep(2000);
  note(`DynamoDB Local frozen (SIGSTOP pid ${state.dynamoDbPid}) for ${plan.freezeMs} ms`);
  await freeze(state.dynamoDbPid, plan.freezeMs);
  note('DynamoDB Local resumed (SIGCONT)');
  await sleep(2000);
  await control(`${state.workflowSandbox}/sandbox/settings`, 'POST', { alwaysStatus: 503 });
  note(`engine: every call answered 503 for ${plan.engineOutageMs} ms`);
  try {
    await sleep(plan.engineOutageMs);
  } finally {
    await control(`${state.workflowSandbox}/sandbox/settings`, 'POST', { alwaysStatus: null });
  }
  note('engine: answering again');
  // The faults end when calls have met them, not after a fixed time: the batcher calls once every
  // few seconds (more slowly on a starved machine), and a fault cleared unmet would leave the run
  // claiming what it did not go through.
  const deadline = Date.now() + plan.metDeadlineMs;
  const emailQueued = emailFaults.reduce((sum, fault) => sum + fault.times, 0);
  let emailUnmet = await pendingEmailFaults(state);
  while (emailUnmet > 0 && Date.now() < deadline) {
    await sleep(500);
    emailUnmet = await pendingEmailFaults(state);
  }
  await control(`${state.emailSandbox}/sandbox/faults`, 'DELETE');
  note(
    emailUnmet === 0
      ? `email provider: the ${emailQueued} queued faults met`
      : `email provider: ${emailUnmet} of ${emailQueued} queued faults unmet when the wait ended, cleared`,
  );
  // While the engine's breaker is open only its trial calls meet the queued faults, one per
  // cooldown: the faults have stopped once the last of them was met.
  const engineQueued = 4 * plan.engineFaultCalls;
  let engineMet = await engineFaultsMet(state);
  while (engineMet < engineQueued && Date.now() < deadline) {
    await sleep(1000);
    engineMet = await engineFaultsMet(state);
  }
  const engineUnmet = Math.max(0, engineQueued - engineMet);
  note(
    engineUnmet === 0
      ? `engine: the ${engineQueued} queued faults met`
      : `engine: ${engineUnmet} of ${engineQueued} queued faults unmet when the wait ended`,
  );
  return {
    startedAt,
    stoppedAt: Date.now(),
    steps,
    unmet: { email: emailUnmet, engine: engineUnmet },
  };
}
