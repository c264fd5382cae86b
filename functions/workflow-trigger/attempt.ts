import type { ClaimResult, StepResult } from '../../shared/ledger/types';
import type { EngineOutcome } from '../../shared/workflow/engine';
import { deferRecord } from './defer';
import { retryDelaySeconds } from './schedule';
import { SETTLE_RESERVE_MS } from './settle-reserve';
import type { CallResult, ReadyJob, TriggerDeps, TriggerRun } from './types';

/**
 * One job's attempt: claim it in the ledger (counting the attempt before the call), call the engine
 * with the job id as `Idempotency-Key`, and settle by the answer: triggered, retried later with
 * backoff, dead-lettered, or held while the engine refuses our configuration.
 */
export async function attemptJob(
  deps: TriggerDeps,
  run: TriggerRun,
  entry: ReadyJob,
): Promise<CallResult> {
  const { telemetry, settings, settlement } = { ...deps, settlement: run.settlement };
  const { job, correlationId } = entry;
  const line = { jobId: job.id, correlationId, workflow: job.workflow };
  let claim: ClaimResult;
  try {
    claim = await deps.ledger.claim(
      job.id,
      entry.fingerprint,
      deps.newClaimToken(),
      settings.claimMs,
      entry.legacyFingerprint,
    );
  } catch (error) {
    // The job is left to SQS: its record comes back after the visibility timeout.
    deps.writeFailed({ store: 'ledger', step: 'claim', jobId: job.id, correlationId, error });
    settlement.fail(entry.record);
    return 'no-call';
  }
  if (claim.kind === 'sent') {
    telemetry.job({ ...line, outcome: 'duplicate', executionId: claim.messageId });
    return 'no-call';
  }
  if (claim.kind === 'busy') {
    deferRecord(
      deps,
      run,
      { ...entry, jobId: job.id },
      claim.retryInMs / 1000,
      'another consumer is triggering it',
    );
    return 'no-call';
  }
  if (claim.kind === 'conflict') {
    const reason = `id "${job.id}" was already used for a job with another workflow or input`;
    settlement.deadLetter(entry.record, {
      reason,
      reasonCode: 'reused-id',
      attempts: 0,
      jobId: job.id,
      correlationId,
    });
    telemetry.job({ ...line, outcome: 'dead-lettered', reason: 'reused-id' });
    return 'no-call';
  }
  const { attempts, history, hold } = claim;
  /**
   * One ledger step under the claim. False when the claim was taken over: another copy of the job's
   * message holds it now, so this record is acknowledged without acting on it. A failed write is
   * logged and counted, and the record is settled as if it had been written.
   */
  const step = async (name: string, write: () => Promise<StepResult>): Promise<boolean> => {
    try {
      if ((await write()) === 'done') return true;
      deps.log.warn('the claim was taken over: the job is left to its new holder', {
        ...line,
        step: name,
      });
      return false;
    } catch (error) {
      deps.writeFailed({ store: 'ledger', step: name, jobId: job.id, correlationId, error });
      return true;
    }
  };
  const giveUp = async (lastError: string, reasonCode: string, maybeDelivered = false) => {
    // Some attempt may have reached the engine: the dead letter says so.
    const ambiguous = hold.ambiguous || maybeDelivered;
    const released = await step('dead', () =>
      deps.ledger.release({ ...hold, ambiguous }, 'dead', lastError),
    );
    if (!released) return;
    const reason = `${lastError} after ${attempts} attempt(s)${ambiguous ? ' (ambiguous: the engine may have it)' : ''}; history: ${history.slice(-8).join(' | ')}`;
    settlement.deadLetter(entry.record, {
      reason,
      reasonCode,
      attempts,
      jobId: job.id,
      correlationId,
      ...(ambiguous ? { ambiguous: true } : {}),
    });
    telemetry.job({ ...line, outcome: 'dead-lettered', attempts, reason: reasonCode });
  };
  /** The job goes back on the queue, its attempt given back (not the job's fault). */
  const holdBack = async (reason: string, seconds: number) => {
    if (!(await step('hold', () => deps.ledger.release(hold, 'retry', reason, true)))) return;
    deferRecord(deps, run, { ...entry, jobId: job.id }, seconds, reason, attempts - 1);
  };
  if (attempts > settings.maxAttempts) {
    // Attempts made by consumers that crashed before they could settle them.
    await giveUp('attempts made without an outcome', 'attempts-exhausted');
    return 'no-call';
  }
  telemetry.claimed({
    jobId: job.id,
    correlationId,
    attempt: attempts,
    ambiguous: claim.ambiguous,
  });
  if (claim.ambiguous) telemetry.ambiguous(job.id, correlationId);

  const metadata = {
    triggeredAt: new Date(deps.now()).toISOString(),
    source: entry.source,
    correlationId,
    jobId: job.id,
    attempt: attempts,
  };
  let token = await deps.token.current().catch((error) => {
    deps.log.warn('the engine token cannot be read: the job is left to SQS', { ...line, error });
    return undefined;
  });
  if (token === undefined) {
    if (
      await step('hold', () => deps.ledger.release(hold, 'retry', 'engine token unavailable', true))
    )
      settlement.fail(entry.record);
    return 'no-call';
  }
  // A call that could not end (and be settled) before the invocation does is not started: the job
  // is re-sent at once with its attempt given back, rather than left to SQS (which counts a receive).
  const timeForCall = () => run.remainingMs() >= settings.callTimeoutMs + SETTLE_RESERVE_MS;
  if (!timeForCall()) {
    await holdBack('too little invocation time left for the call', 1);
    return 'no-call';
  }
  const callLine = (answer: EngineOutcome) => ({
    jobId: job.id,
    correlationId,
    attempt: attempts,
    result: answer.kind,
    latencyMs: answer.latencyMs,
    ...(answer.status === undefined ? {} : { status: answer.status }),
    ...(answer.kind === 'triggered' ? {} : { error: answer.error }),
  });
  let outcome = await deps.call({ path: entry.path, token, job, metadata });
  telemetry.engineCall(callLine(outcome));
  if (outcome.kind === 'refused') {
    // A rotated token is the likely cause: read it again once, and try once more with it.
    const fresh = await run.refreshTokenOnce();
    if (fresh !== undefined && fresh !== token && !timeForCall()) {
      await holdBack('too little invocation time left for the call', 1);
      return 'no-call';
    }
    if (fresh !== undefined && fresh !== token) {
      token = fresh;
      outcome = await deps.call({ path: entry.path, token, job, metadata });
      telemetry.engineCall(callLine(outcome));
    }
  }

  switch (outcome.kind) {
    case 'triggered': {
      deps.breaker.record(true);
      const executionId = outcome.executionId ?? `status-${outcome.status}`;
      // The engine has the job: a failed mark leaves an expired claim, whose retry is ambiguous
      // and carries the same Idempotency-Key, so the record is acknowledged either way.
      // A claim taken over means another copy is on its way to the engine (same Idempotency-Key).
      await step('sent', () => deps.ledger.markSent(hold, executionId));
      telemetry.job({ ...line, outcome: 'triggered', executionId, attempts });
      return 'success';
    }
    case 'permanent':
      // The engine is up and answered: the job is what it refuses.
      deps.breaker.record(true);
      await giveUp(outcome.error, `engine-${outcome.status}`);
      return 'success';
    case 'refused': {
      run.opened = true;
      telemetry.refused(outcome.status);
      // The refused token's version: a newer one ends the cool-down without waiting for it.
      const tokenVersion = await deps.tokenVersion().catch(() => undefined);
      await deps.breaker
        .open(`engine refused our configuration: ${outcome.error}`, true, tokenVersion)
        .catch((error) => deps.log.warn('could not open the breaker', { ...line, error }));
      // Not the job's fault: the attempt is given back and the job waits.
      if (await step('hold', () => deps.ledger.release(hold, 'retry', outcome.error, true)))
        deferRecord(
          deps,
          run,
          { ...entry, jobId: job.id },
          5 + deps.random() * 5,
          'engine refused our configuration',
          attempts - 1,
        );
      return 'refused';
    }
    case 'retry': {
      deps.breaker.record(false);
      if (outcome.ambiguous) telemetry.ambiguous(job.id, correlationId);
      if (attempts >= settings.maxAttempts) {
        await giveUp(outcome.error, 'attempts-exhausted', outcome.ambiguous);
        return 'failure';
      }
      const status = outcome.ambiguous ? 'unknown' : 'retry';
      if (!(await step(status, () => deps.ledger.release(hold, status, outcome.error))))
        return 'failure';
      const seconds = retryDelaySeconds(
        attempts,
        { baseSeconds: settings.backoffBaseSeconds, maxSeconds: settings.backoffMaxSeconds },
        deps.random,
        outcome.retryAfterSeconds,
      );
      deferRecord(deps, run, { ...entry, jobId: job.id }, seconds, outcome.error, attempts);
      telemetry.job({
        ...line,
        outcome: 'retried',
        attempts,
        delaySeconds: seconds,
        ...(outcome.status ? { status: outcome.status } : {}),
      });
      return 'failure';
    }
  }
}
