import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ResumeVia } from '../state/resume';
import type { BreakerChange } from './breaker/types';

/**
 * How one job ended in this invocation. `queued`: `POST /workflows/{name}` could not trigger it at
 * once and put it on the queue for the trigger.
 */
export type TriggerOutcome =
  | 'triggered'
  | 'duplicate'
  | 'retried'
  | 'deferred'
  | 'dead-lettered'
  | 'queued';

/** One line per job outcome: ids and codes only, never the input or the token. */
export interface TriggerLine {
  jobId: string;
  correlationId: string;
  workflow?: string;
  outcome: TriggerOutcome;
  executionId?: string;
  attempts?: number;
  status?: number;
  reason?: string;
  delaySeconds?: number;
}

/** One engine call of one job: its attempt, the answer (or why there was none) and the latency. */
export interface EngineCallLine {
  jobId: string;
  correlationId: string;
  attempt: number;
  /** `triggered`, `retry`, `refused` or `permanent`. */
  result: string;
  status?: number;
  latencyMs: number;
  error?: string;
}

/** Counters kept beside the metrics, for tests and benchmarks in the same process. */
export type TriggerCounts = Record<
  TriggerOutcome | 'ambiguous' | 'calls' | 'refused' | 'resumed',
  number
>;

/** What the trigger reports: log lines and Powertools metrics (embedded metric format). */
export interface TriggerTelemetry {
  job(line: TriggerLine): void;
  /** The job is claimed in the ledger for this attempt (counted before the call). */
  claimed(line: {
    jobId: string;
    correlationId: string;
    attempt: number;
    ambiguous: boolean;
  }): void;
  ambiguous(jobId: string, correlationId: string): void;
  engineCall(line: EngineCallLine): void;
  refused(status: number): void;
  breaker(change: BreakerChange): void;
  /** The breaker as one invocation found it: `BreakerOpen` 1 when open, 0 otherwise. */
  breakerReading(open: boolean): void;
  /** The trial a resume started was taken (one per resume): `WorkflowResumed`. */
  resumed(via: ResumeVia): void;
  readonly counts: TriggerCounts;
}

const METRIC_NAMES: Record<TriggerOutcome, string> = {
  triggered: 'WorkflowTriggered',
  duplicate: 'WorkflowDuplicate',
  retried: 'WorkflowRetried',
  deferred: 'WorkflowDeferred',
  'dead-lettered': 'WorkflowDeadLettered',
  queued: 'WorkflowQueued',
};

/** Fresh counters. */
export const emptyCounts = (): TriggerCounts => ({
  triggered: 0,
  duplicate: 0,
  retried: 0,
  deferred: 0,
  'dead-lettered': 0,
  queued: 0,
  ambiguous: 0,
  calls: 0,
  refused: 0,
  resumed: 0,
});

/** Telemetry backed by a Powertools logger and metrics; `metrics` is flushed by the handler. */
export function makeTriggerTelemetry(
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>,
  metrics: { addMetric: (...args: Parameters<Metrics['addMetric']>) => unknown },
): TriggerTelemetry {
  const counts = emptyCounts();
  return {
    counts,
    job(line) {
      counts[line.outcome] += 1;
      metrics.addMetric(METRIC_NAMES[line.outcome], MetricUnit.Count, 1);
      logger.info('workflow job', { ...line });
    },
    claimed(line) {
      logger.info('workflow job claimed', { ...line });
    },
    ambiguous(jobId, correlationId) {
      counts.ambiguous += 1;
      metrics.addMetric('WorkflowAmbiguous', MetricUnit.Count, 1);
      logger.warn('workflow call ended without an answer: the engine may have it (ambiguous)', {
        jobId,
        correlationId,
        outcome: 'ambiguous',
      });
    },
    engineCall(line) {
      counts.calls += 1;
      metrics.addMetric('EngineLatency', MetricUnit.Milliseconds, line.latencyMs);
      logger.info('engine call', { ...line });
    },
    refused(status) {
      counts.refused += 1;
      // The alarm WorkflowEngineRefusedAlarm watches this metric.
      metrics.addMetric('WorkflowEngineRefused', MetricUnit.Count, 1);
      logger.error('the workflow engine refuses our configuration (token or workflow)', { status });
    },
    resumed(via) {
      counts.resumed += 1;
      metrics.addMetric('WorkflowResumed', MetricUnit.Count, 1);
      logger.warn('workflow breaker resumed: one trial call now', { resumedVia: via });
    },
    breakerReading(open) {
      metrics.addMetric('BreakerOpen', MetricUnit.Count, open ? 1 : 0);
    },
    breaker(change) {
      metrics.addMetric(
        change.to === 'open'
          ? 'BreakerOpened'
          : change.to === 'closed'
            ? 'BreakerClosed'
            : 'BreakerHalfOpen',
        MetricUnit.Count,
        1,
      );
      logger.warn('workflow circuit breaker changed', {
        breakerState: change.to,
        reason: change.reason,
      });
    },
  };
}
