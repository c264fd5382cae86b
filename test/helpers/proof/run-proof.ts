import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStackState } from '../stack/local-stack';
import { startOffline } from '../stack/offline-stack';
import { messagesHeld } from '../workflow/quiet';
import { type Accounts, account } from './accounting';
import { type FaultLog, type FaultPlan, runFaults } from './faults';
import {
  deadLetterIndex,
  drainDeadLetterQueues,
  engineRecords,
  ledgerItems,
  queuesOf,
  sandboxEmails,
} from './observed';
import { DELIVERY_MARGIN_MS } from './raw-records';
import { sendAll } from './sender';
import { proofTable, type Timings } from './table';
import { fixtureFiles, fixtureSigning, planDeliveries } from './webhooks';

/** One size of the proof run. */
export interface ProofSize {
  name: string;
  webhooks: number;
  concurrency: number;
  /** How long a sender retries one webhook. */
  senderDeadlineMs: number;
  /** How long the run waits for the queues to drain once sending is done. */
  drainDeadlineMs: number;
  faults: FaultPlan;
}

/** What a run came to. */
export interface ProofResult {
  accounts: Accounts;
  timings: Timings;
  faults: FaultLog;
  table: string;
}

/**
 * Short retries for the private stack (each a variable its function's config reads, forwarded by the
 * local stage's overrides): a job retried after a fault comes back in seconds, not minutes.
 */
const STACK_SETTINGS = {
  // The default engine timeout. The raw-records count takes a call answered within the timeout less
  // a second as received by its caller: a shorter timeout made that second too short on a starved
  // machine (a CI run sending 5x slower saw a caller give up on an answer the engine sent in time).
  WORKFLOW_TIMEOUT_MS: '5000',
  // More than the trigger's 20 s timeout plus two 5 s calls (the start-up check).
  WORKFLOW_CLAIM_SECONDS: '35',
  WORKFLOW_BACKOFF_BASE_SECONDS: '1',
  WORKFLOW_BACKOFF_MAX_SECONDS: '5',
  WORKFLOW_BREAKER_COOLDOWN_SECONDS: '3',
  // A provider call cut at 5 s (the proof's hangs last longer), retried after 1 to 5 s.
  EMAIL_PROVIDER_TIMEOUT_MS: '5000',
  EMAIL_BACKOFF_BASE_SECONDS: '1',
  EMAIL_BACKOFF_MAX_SECONDS: '5',
  // A call of unknown outcome is searched for 3 s after it could last have reached the sandbox (whose
  // search has no indexing delay), so the run drains in seconds, not the default's minutes.
  EMAIL_RECONCILE_SETTLE_SECONDS: '3',
  // The scheduled health probe adds nothing here but load.
  LOCAL_SCHEDULE_SECONDS: '300',
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sets whether the sandbox engine honours repeated `Idempotency-Key`s; a refusal fails the run. */
async function engineIdempotency(state: LocalStackState, mode: 'honour' | 'ignore') {
  const response = await fetch(`${state.workflowSandbox}/sandbox/settings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ idempotency: mode }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`the sandbox engine refused idempotency=${mode}`);
}

/** Polls until every accepted job is delivered or dead-lettered and the job queues are empty. */
async function waitForDrain(
  state: LocalStackState,
  clients: { sqs: SQSClient; dynamoDb: DynamoDBClient },
  jobs: ReadonlySet<string>,
  deadlineMs: number,
): Promise<{ drained: boolean; at: number }> {
  const queues = queuesOf(state);
  const deadline = Date.now() + deadlineMs;
  let quiet = 0;
  let lastSeen = -1;
  while (Date.now() < deadline) {
    const [{ messages }, { executions }, index, depths] = await Promise.all([
      sandboxEmails(state),
      engineRecords(state, false),
      deadLetterIndex(clients.dynamoDb, state),
      Promise.all([queues.email.url, queues.workflow.url].map((u) => messagesHeld(clients.sqs, u))),
    ]);
    const settled = new Set<string>([
      ...messages.map((m) => `${m.metadata?.source}:${m.metadata?.eventId}:email:${m.tag}`),
      ...executions.map((e) => e.idempotencyKey ?? ''),
      ...index.map((item) => item.jobId ?? ''),
    ]);
    const open = [...jobs].filter((job) => !settled.has(job)).length;
    const empty = depths.every((depth) => depth === 0);
    const seen = messages.length + executions.length + index.length;
    // Settled, or nothing left to work on and nothing new for a while (a job the queue's own
    // redrive moved to a DLQ is not in the index: the final accounting reads the DLQs themselves).
    quiet = empty && seen === lastSeen ? quiet + 1 : 0;
    lastSeen = seen;
    if (empty && (open === 0 || quiet >= 3)) return { drained: open === 0, at: Date.now() };
    await sleep(2000);
  }
  return { drained: false, at: Date.now() };
}

/**
 * A hang that ends within a second of its caller's timeout is not surely unanswered to the raw count
 * (raw-records.ts), which would then no longer require its job to be ambiguous in the ledger: a size
 * whose hangs are that short is refused instead of quietly checking less.
 */
function checkHangsOutlastTimeouts(faults: FaultPlan) {
  const pairs = [
    ['emailHangMs', faults.emailHangMs, Number(STACK_SETTINGS.EMAIL_PROVIDER_TIMEOUT_MS)],
    ['engineHangMs', faults.engineHangMs, Number(STACK_SETTINGS.WORKFLOW_TIMEOUT_MS)],
  ] as const;
  for (const [name, hangMs, timeoutMs] of pairs) {
    if (hangMs <= timeoutMs + DELIVERY_MARGIN_MS) {
      throw new Error(
        `${name} ${hangMs} must exceed the caller's timeout ${timeoutMs} ms by more than ${DELIVERY_MARGIN_MS} ms`,
      );
    }
  }
}

/**
 * Runs the proof on a private local stack (faults here would break tests sharing jest's stack):
 * signed webhooks with duplicates and bad signatures, sent by retrying senders while the sandboxes
 * misbehave and DynamoDB Local freezes once; then waits for the queues to drain and settles every
 * webhook against what the sandboxes, the DLQs, their index and the job ledger hold.
 */
export async function runProof(
  size: ProofSize,
  log: (line: string) => void = () => {},
): Promise<ProofResult> {
  checkHangsOutlastTimeouts(size.faults);
  const stack = await startOffline({ ...fixtureFiles, ...STACK_SETTINGS });
  let sqs: SQSClient | undefined;
  let dynamoDb: DynamoDBClient | undefined;
  try {
    const state = await stack.ready(120_000);
    const clientOptions = {
      region: state.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: { connectionTimeout: 1000, requestTimeout: 30_000 },
    };
    sqs = new SQSClient({ ...clientOptions, endpoint: state.sqs });
    dynamoDb = new DynamoDBClient({ ...clientOptions, endpoint: state.dynamodb });
    // A real engine (an n8n webhook) does not deduplicate: the sandbox starts an execution for every
    // call, repeated Idempotency-Key or not, so a job triggered twice shows as two executions.
    await engineIdempotency(state, 'ignore');
    const deliveries = planDeliveries(size.webhooks, {
      duplicateRatio: 0.05,
      badSignatureRatio: 0.01,
      runId: Date.now().toString(36),
    });
    log(`${size.name}: ${deliveries.length} webhooks at concurrency ${size.concurrency}`);
    const startedAt = Date.now();
    // The faults start once the first tenth of the webhooks is answered (or sending has ended).
    const step = Math.max(1, Math.floor(deliveries.length / 10));
    let flowing = () => {};
    const trafficFlowing = new Promise<void>((resolve) => {
      flowing = resolve;
    });
    const faults = runFaults(state, size.faults, trafficFlowing);
    // A failing fault schedule must not leave sending unawaited, nor the reverse.
    faults.catch(() => {});
    const outcomes = await sendAll(
      deliveries,
      {
        url: state.http,
        signing: fixtureSigning(),
        concurrency: size.concurrency,
        deadlineMs: size.senderDeadlineMs,
        requestTimeoutMs: 15_000,
        backoffBaseMs: 250,
        backoffMaxMs: 5000,
      },
      (done) => {
        if (done >= step) flowing();
        if (done % step === 0) log(`  sent ${done} (${Date.now() - startedAt} ms)`);
      },
    ).finally(flowing);
    const sentAt = Date.now();
    const faultLog = await faults;
    for (const line of faultLog.steps) log(`  fault ${line}`);
    const jobs = new Set(
      outcomes
        .filter((o) => typeof o.status === 'number' && o.status < 300)
        .flatMap((o) => o.delivery.event.jobIds),
    );
    const drain = await waitForDrain(state, { sqs, dynamoDb }, jobs, size.drainDeadlineMs);
    log(`  drained: ${drain.drained} (${drain.at - Math.max(faultLog.stoppedAt, sentAt)} ms)`);
    const [emails, engine, index, ledger] = await Promise.all([
      sandboxEmails(state),
      engineRecords(state),
      deadLetterIndex(dynamoDb, state),
      ledgerItems(dynamoDb, state),
    ]);
    const deadLetters = await drainDeadLetterQueues(sqs, state);
    const accounts = account(outcomes, {
      emails: emails.messages,
      emailCalls: emails.calls,
      emailSearches: emails.searches,
      executions: engine.executions,
      engineCalls: engine.calls,
      deadLetters,
      index,
      ledger,
      timeouts: {
        emailMs: Number(STACK_SETTINGS.EMAIL_PROVIDER_TIMEOUT_MS),
        engineMs: Number(STACK_SETTINGS.WORKFLOW_TIMEOUT_MS),
      },
    });
    const timings: Timings = {
      sending: sentAt - startedAt,
      drainAfterFaults: Math.max(0, drain.at - Math.max(faultLog.stoppedAt, sentAt)),
      drained: drain.drained,
    };
    const table = proofTable(accounts, timings, `Proof (${size.name})`);
    return { accounts, timings, faults: faultLog, table };
  } finally {
    sqs?.destroy();
    dynamoDb?.destroy();
    await stack.stop();
  }
}
