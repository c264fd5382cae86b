import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DependencyError, HttpError } from '../../shared/errors';
import type { HttpContext } from '../../shared/http/correlation-id';
import { jsonResponse } from '../../shared/http/problem';
import type { JobLedger } from '../../shared/ledger/job-ledger';
import type { ClaimResult, LedgerHold, StepResult } from '../../shared/ledger/types';
import type { WorkflowJob } from '../../shared/messages/jobs';
import {
  legacyWorkflowJobFingerprint,
  workflowJobFingerprint,
} from '../../shared/messages/workflow-job-schema';
import type { CircuitBreaker } from '../../shared/workflow/breaker/circuit-breaker';
import type { EngineOutcome } from '../../shared/workflow/engine';
import type { WorkflowRegistry } from '../../shared/workflow/registry';
import type { TriggerTelemetry } from '../../shared/workflow/telemetry';
import type { WriteFailed } from '../../shared/write-failures';
import { IdempotencyKeyReusedError, type RequestLimits, readDirectRequest } from './request';

/** One direct call to the engine: the trigger's call, with the time this request can spare. */
export interface DirectCall {
  path: string;
  token: string;
  job: WorkflowJob;
  metadata: Record<string, unknown>;
  timeoutMs: number;
}

/** Everything `POST /workflows/{name}` talks to, passed in as one object. */
export interface WorkflowApiDeps {
  registry: WorkflowRegistry;
  /** Whether the request carries a valid API key (constant-time compare against the secret). */
  hasKey: (event: APIGatewayProxyEventV2) => Promise<boolean>;
  ledger: Pick<JobLedger, 'claim' | 'markSent' | 'release'>;
  breaker: Pick<CircuitBreaker, 'permit' | 'settleTrial' | 'record' | 'flush'>;
  call: (call: DirectCall) => Promise<EngineOutcome>;
  /** The engine token (cached by the secret cache). */
  token: () => Promise<string>;
  /** Puts the job on `workflow-jobs`; resolves once SQS has it. */
  enqueue: (
    job: WorkflowJob,
    attributes: Record<string, string>,
    delaySeconds: number,
  ) => Promise<void>;
  telemetry: Pick<TriggerTelemetry, 'job' | 'ambiguous' | 'engineCall' | 'resumed'>;
  /** Logs a failed ledger write with its error and counts it. */
  writeFailed: WriteFailed;
  log: { warn(message: string, extra: Record<string, unknown>): void };
  settings: RequestLimits & { directTimeoutMs: number; claimMs: number };
  /** Milliseconds left in this request's deadline. */
  remainingMs: () => number;
  newJobId: () => string;
  newClaimToken: () => string;
  now: () => number;
}

/** Time kept back from the engine call for what follows it: the mark or the enqueue. */
const AFTER_CALL_RESERVE_MS = 1200;

/** 401: no API key, or not one the secret holds. */
class ApiKeyError extends HttpError {
  constructor() {
    super(
      401,
      'Invalid API key',
      'Send the workflows API key as X-Api-Key or Authorization: Bearer',
      {
        headers: { 'WWW-Authenticate': 'Bearer realm="workflows"' },
      },
    );
  }
}

/**
 * `POST /workflows/{name}`: checks the key, the workflow and the input, then tries the engine once
 * with a short timeout (200 with its execution id). When the engine fails, is slow or its breaker is
 * open, the job goes on the queue under the same id, so the same `Idempotency-Key`, and the answer is
 * 202: the trigger takes it from there. A caller's `Idempotency-Key` makes the job id
 * `api:<workflow>:<key>`, so a retried call triggers once; the same key with another input is a 422.
 */
export function makeWorkflowApi(deps: WorkflowApiDeps) {
  const { telemetry, settings } = deps;

  return async function triggerDirectly(
    event: APIGatewayProxyEventV2,
    context: HttpContext,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    if (!(await deps.hasKey(event))) throw new ApiKeyError();
    const name = event.pathParameters?.name ?? '';
    const path = deps.registry.get(name);
    if (path === undefined) {
      throw new HttpError(
        404,
        'Unknown workflow',
        `No workflow "${name.slice(0, 64)}" is registered`,
      );
    }
    const request = readDirectRequest(event, settings);
    const { correlationId } = context;
    const job: WorkflowJob = {
      id: `api:${name}:${request.idempotencyKey ?? deps.newJobId()}`,
      workflow: name,
      input: request.input,
      correlationId,
    };
    const line = { jobId: job.id, correlationId, workflow: name };
    const attributes = { correlationId, source: 'api', eventType: `workflow:${name}` };

    const queue = async (reason: string, delaySeconds = 0) => {
      try {
        await deps.enqueue(job, attributes, delaySeconds);
      } catch (error) {
        throw new DependencyError('The workflow queue is unavailable', { cause: error });
      }
      telemetry.job({ ...line, outcome: 'queued', reason });
      return jsonResponse(202, { jobId: job.id, queued: true });
    };

    let claim: ClaimResult;
    try {
      claim = await deps.ledger.claim(
        job.id,
        workflowJobFingerprint(job),
        deps.newClaimToken(),
        settings.claimMs,
        legacyWorkflowJobFingerprint(job),
      );
    } catch (error) {
      deps.writeFailed({ store: 'ledger', step: 'claim', jobId: job.id, correlationId, error });
      throw new DependencyError('The workflow ledger is unavailable', { cause: error });
    }
    if (claim.kind === 'conflict') {
      throw new IdempotencyKeyReusedError(
        'This Idempotency-Key was first used with another input; use a new key for a new call',
      );
    }
    if (claim.kind === 'sent') {
      telemetry.job({ ...line, outcome: 'duplicate', executionId: claim.messageId });
      return jsonResponse(200, { executionId: claim.messageId ?? null, jobId: job.id });
    }
    // Another call or the trigger holds it now: queued under the same id it triggers once either way.
    if (claim.kind === 'busy') return queue('another call is triggering it');

    const { hold } = claim;
    /**
     * One ledger step under the claim. A claim taken over (another caller or the trigger holds the
     * job now) is logged: the answer to this request stays what the engine said, and the new holder
     * settles the job. A failed write is logged and counted.
     */
    const step = async (name: string, write: (hold: LedgerHold) => Promise<StepResult>) => {
      try {
        if ((await write(hold)) === 'taken-over')
          deps.log.warn('the claim was taken over: the job is left to its new holder', {
            ...line,
            step: name,
          });
      } catch (error) {
        deps.writeFailed({ store: 'ledger', step: name, jobId: job.id, correlationId, error });
      }
    };
    const giveBack = (reason: string) =>
      step('hold', (held) => deps.ledger.release(held, 'retry', reason, true));
    try {
      return await attempt(job, path, claim.attempts, line, queue, giveBack, step);
    } finally {
      await deps.breaker
        .flush()
        .catch((error) => deps.log.warn('could not write the breaker counts', { error }));
    }
  };

  async function attempt(
    job: WorkflowJob,
    path: string,
    attempts: number,
    line: { jobId: string; correlationId: string; workflow: string },
    queue: (reason: string, delaySeconds?: number) => Promise<APIGatewayProxyStructuredResultV2>,
    giveBack: (reason: string) => Promise<void>,
    step: (name: string, write: (hold: LedgerHold) => Promise<StepResult>) => Promise<void>,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const permit = await deps.breaker.permit().catch((error) => {
      deps.log.warn('breaker state unavailable: the job is queued', { ...line, error });
      return undefined;
    });
    if (permit === undefined || permit.kind === 'open') {
      const reason = permit ? 'circuit breaker open' : 'breaker state unavailable';
      await giveBack(reason);
      return queue(reason);
    }
    // A direct call may take the trial a resume started: it counts the resume then.
    if (permit.kind === 'trial' && permit.resumedVia) telemetry.resumed(permit.resumedVia);
    const token = await deps.token().catch((error) => {
      deps.log.warn('the engine token cannot be read: the job is queued', { ...line, error });
      return undefined;
    });
    const timeoutMs = Math.min(
      settings.directTimeoutMs,
      deps.remainingMs() - AFTER_CALL_RESERVE_MS,
    );
    if (token === undefined || timeoutMs < 100) {
      const reason = token === undefined ? 'engine token unavailable' : 'no time left to call';
      if (permit.kind === 'trial')
        await deps.breaker
          .settleTrial(permit.token, false, reason)
          .catch((error) => deps.log.warn('could not settle the trial', { ...line, error }));
      await giveBack(reason);
      return queue(reason);
    }
    const metadata = {
      triggeredAt: new Date(deps.now()).toISOString(),
      source: 'api',
      correlationId: line.correlationId,
      jobId: job.id,
      attempt: attempts,
    };
    const outcome = await deps.call({ path, token, job, metadata, timeoutMs });
    telemetry.engineCall({
      jobId: job.id,
      correlationId: line.correlationId,
      attempt: attempts,
      result: outcome.kind,
      latencyMs: outcome.latencyMs,
      ...(outcome.status === undefined ? {} : { status: outcome.status }),
      ...(outcome.kind === 'triggered' ? {} : { error: outcome.error }),
    });
    // An answer that is about the job (2xx, a 4xx it can never pass) says the engine is up.
    const engineUp = outcome.kind === 'triggered' || outcome.kind === 'permanent';
    if (permit.kind === 'trial') {
      await deps.breaker
        .settleTrial(
          permit.token,
          engineUp,
          engineUp
            ? 'trial call succeeded'
            : outcome.kind === 'refused'
              ? 'trial call refused: the engine refuses our configuration'
              : 'trial call failed',
          // The long cool-down; the trigger, which reads the token's version, remembers it.
          outcome.kind === 'refused' ? {} : undefined,
        )
        .catch((error) => deps.log.warn('could not settle the trial', { ...line, error }));
    } else if (outcome.kind !== 'refused') {
      deps.breaker.record(engineUp);
    }

    switch (outcome.kind) {
      case 'triggered': {
        const executionId = outcome.executionId ?? `status-${outcome.status}`;
        await step('sent', (hold) => deps.ledger.markSent(hold, executionId));
        telemetry.job({ ...line, outcome: 'triggered', executionId, attempts });
        return jsonResponse(200, { executionId: outcome.executionId ?? null, jobId: job.id });
      }
      case 'permanent':
        await step('dead', (hold) => deps.ledger.release(hold, 'dead', outcome.error));
        throw new HttpError(
          400,
          'Input rejected by the engine',
          `The workflow engine rejected this input (${outcome.error}); nothing was triggered`,
        );
      case 'refused':
        // Our token or the workflow's setup on the engine: the trigger re-reads the token and opens
        // the breaker; the job waits on the queue, its attempt given back.
        await giveBack(outcome.error);
        return queue(`engine refused our configuration (${outcome.error})`);
      case 'retry': {
        if (outcome.ambiguous) telemetry.ambiguous(job.id, line.correlationId);
        const status = outcome.ambiguous ? 'unknown' : 'retry';
        await step(status, (hold) => deps.ledger.release(hold, status, outcome.error));
        return queue(outcome.error, Math.min(outcome.retryAfterSeconds ?? 0, 900));
      }
    }
  }
}
