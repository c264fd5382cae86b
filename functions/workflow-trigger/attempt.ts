import type { ClaimResult } from '../../shared/ledger/job-ledger';
import type { EngineOutcome } from '../../shared/workflow/engine';
import { retryDelaySeconds } from './schedule';
import {
  type CallResult,
  deferRecord,
  type ReadyJob,
  type TriggerDeps,
  type TriggerRun,
} from './trigger';

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
    deps.log.warn('ledger unavailable: the job is left to SQS', {
      jobId: job.id,
      correlationId,
      error: String(error),
    });
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
  const { attempts, history } = claim;
  const giveUp = async (lastError: string, reasonCode: string) => {
    await deps.ledger.release(job.id, 'dead', lastError).catch(() => undefined);
    const reason = `${lastError} after ${attempts} attempt(s); history: ${history.slice(-8).join(' | ')}`;
    settlement.deadLetter(entry.record, {
      reason,
      reasonCode,
      attempts,
      jobId: job.id,
      correlationId,
    });
    telemetry.job({ ...line, outcome: 'dead-lettered', attempts, reason: reasonCode });
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
  let token = await deps.token.current().catch(() => undefined);
  if (token === undefined) {
    await deps.ledger
      .release(job.id, 'retry', 'engine token unavailable', true)
      .catch(() => undefined);
    settlement.fail(entry.record);
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
      await deps.ledger.markSent(job.id, executionId).catch((error) =>
        deps.log.warn('triggered but not recorded', {
          jobId: job.id,
          correlationId,
          error: String(error),
        }),
      );
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
        .catch(() => undefined);
      // Not the job's fault: the attempt is given back and the job waits.
      await deps.ledger.release(job.id, 'retry', outcome.error, true).catch(() => undefined);
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
        await giveUp(outcome.error, 'attempts-exhausted');
        return 'failure';
      }
      await deps.ledger
        .release(job.id, outcome.ambiguous ? 'unknown' : 'retry', outcome.error)
        .catch(() => undefined);
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
