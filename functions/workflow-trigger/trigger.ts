import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  legacyWorkflowJobFingerprint,
  parseWorkflowJob,
  workflowJobFingerprint,
} from '../../shared/messages/workflow-job-schema';
import { mapLimit } from '../../shared/queue/map-limit';
import { attemptsOf, Settlement } from '../../shared/queue/settlement';
import type { BreakerPermit } from '../../shared/workflow/breaker/types';
import { attemptJob } from './attempt';
import { deferRecord } from './defer';
import { NOT_BEFORE } from './schedule';
import type { CallResult, ReadyJob, TriggerDeps, TriggerRun } from './types';

/**
 * The workflow trigger: checks each record (schema, registry, its chained wait), asks the circuit
 * breaker, then claims and triggers each job (see `attempt.ts`). Returns the records SQS must
 * redeliver; everything else is triggered, deferred by re-send, or dead-lettered.
 */
export function makeWorkflowTrigger(deps: TriggerDeps) {
  const { telemetry } = deps;

  function prepare(record: SQSRecord, run: TriggerRun): ReadyJob | undefined {
    const attributes = record.messageAttributes ?? {};
    const fallbackCorrelation = attributes.correlationId?.stringValue ?? record.messageId;
    const notBefore = Number(attributes[NOT_BEFORE]?.stringValue ?? 0);
    const parsed = parseWorkflowJob(record.body);
    const jobId = parsed.ok ? parsed.job.id : (parsed.jobId ?? record.messageId);
    if (notBefore > deps.now() + 1000) {
      const entry = { record, correlationId: fallbackCorrelation, jobId };
      deferRecord(deps, run, entry, (notBefore - deps.now()) / 1000, 'waiting for its retry time');
      return undefined;
    }
    if (!parsed.ok) {
      deadLetter(run, record, jobId, fallbackCorrelation, 'invalid-job', parsed.reason);
      return undefined;
    }
    const { job } = parsed;
    const correlationId =
      attributes.correlationId?.stringValue ?? job.correlationId ?? record.messageId;
    const path = deps.registry.get(job.workflow);
    if (path === undefined) {
      deadLetter(
        run,
        record,
        job.id,
        correlationId,
        'unknown-workflow',
        `workflow "${job.workflow}" is not in the registry`,
      );
      return undefined;
    }
    return {
      record,
      job,
      path,
      correlationId,
      source: attributes.source?.stringValue ?? 'api',
      fingerprint: workflowJobFingerprint(job),
      legacyFingerprint: legacyWorkflowJobFingerprint(job),
    };
  }

  function deadLetter(
    run: TriggerRun,
    record: SQSRecord,
    jobId: string,
    correlationId: string,
    reasonCode: string,
    reason: string,
  ) {
    run.settlement.deadLetter(record, {
      reason,
      reasonCode,
      attempts: attemptsOf(record),
      jobId,
      correlationId,
    });
    telemetry.job({ jobId, correlationId, outcome: 'dead-lettered', reason: reasonCode });
  }

  const deferAll = (run: TriggerRun, jobs: readonly ReadyJob[], ms: number, reason: string) => {
    for (const entry of jobs) {
      // Spread over a few seconds, so the backlog does not all come back at the same instant.
      const seconds = ms / 1000 + deps.random() * 3;
      deferRecord(deps, run, { ...entry, jobId: entry.job.id }, seconds, reason);
    }
  };

  /** `invocation`: the Lambda context, whose remaining time decides whether a call can finish. */
  return async function handleBatch(
    event: SQSEvent,
    invocation?: { getRemainingTimeInMillis(): number },
  ): Promise<SQSBatchResponse> {
    let refreshed: Promise<string | undefined> | undefined;
    const run: TriggerRun = {
      settlement: new Settlement(deps),
      refreshTokenOnce: () => {
        refreshed ??= deps.token.refresh().catch((error) => {
          deps.log.warn('the engine token could not be read again', { error });
          return undefined;
        });
        return refreshed;
      },
      remainingMs: () => invocation?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY,
      opened: false,
    };
    const ready = event.Records.map((record) => prepare(record, run)).filter(
      (entry): entry is ReadyJob => entry !== undefined,
    );
    if (ready.length > 0) await triggerJobs(run, ready);
    await deps.breaker
      .flush()
      .catch((error) => deps.log.warn('could not write the breaker counts', { error }));
    return run.settlement.finish();
  };

  /** The breaker's permit; a refusal's cool-down ends at once when the token secret has a new version. */
  async function permitNow(): Promise<BreakerPermit> {
    const permit = await deps.breaker.permit();
    if (permit.kind !== 'open' || permit.tokenVersion === undefined) return permit;
    const current = await deps.tokenVersion();
    if (current === undefined || current === permit.tokenVersion) return permit;
    const resumed = await deps.breaker.resume(
      {
        via: 'new-token-version',
        by: 'workflow-trigger',
        reason: 'the engine token secret has a new version',
      },
      permit.tokenVersion,
    );
    return resumed ? deps.breaker.permit() : permit;
  }

  async function triggerJobs(run: TriggerRun, jobs: ReadyJob[]): Promise<void> {
    let permit: BreakerPermit;
    try {
      permit = await permitNow();
    } catch (error) {
      deps.log.warn('state table unavailable: the batch is left to SQS', { error });
      for (const entry of jobs) run.settlement.fail(entry.record);
      return;
    }
    // One reading per invocation that has jobs: the alarm on the breaker staying open watches it.
    telemetry.breakerReading(permit.kind === 'open');
    if (permit.kind === 'open') {
      // Held jobs look again at least every holdRecheckSeconds, so a resume reaches them soon.
      const ms = Math.min(permit.retryInMs, deps.settings.holdRecheckSeconds * 1000);
      return deferAll(run, jobs, ms, 'circuit breaker open');
    }
    let rest = jobs;
    if (permit.kind === 'trial') {
      if (permit.resumedVia) telemetry.resumed(permit.resumedVia);
      // One call decides: the first job that reaches the engine is the trial.
      let result: CallResult = 'no-call';
      while (result === 'no-call' && rest.length > 0) {
        const [first, ...others] = rest as [ReadyJob, ...ReadyJob[]];
        rest = others;
        result = await attemptJob(deps, run, first);
      }
      if (result === 'no-call') return;
      const success = result === 'success';
      const refused =
        result === 'refused'
          ? { tokenVersion: await deps.tokenVersion().catch(() => undefined) }
          : undefined;
      const reason = success
        ? 'trial call succeeded'
        : refused
          ? 'trial call refused: the engine refuses our configuration'
          : 'trial call failed';
      const reopenedForMs = await deps.breaker
        .settleTrial(permit.token, success, reason, refused)
        .catch((error) => {
          deps.log.warn('could not settle the trial', { error });
          return undefined;
        });
      if (!success) {
        // The rest of the batch comes back when the new cool-down ends (or looks again sooner).
        const ms = Math.min(reopenedForMs ?? 5000, deps.settings.holdRecheckSeconds * 1000);
        return deferAll(run, rest, ms, 'circuit breaker reopened');
      }
    }
    await mapLimit(rest, 10, async (entry) => {
      if (!run.opened) return attemptJob(deps, run, entry);
      deferAll(run, [entry], 5000, 'circuit breaker opened');
      return 'no-call';
    });
  }
}
