import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ResumeVia } from '../../shared/state/resume';

/** How one job ended in this invocation. */
export type JobOutcome = 'sent' | 'duplicate' | 'dead-lettered' | 'deferred' | 'retried';

/** One line per job outcome: ids and codes only, never a body, an address or a token. */
export interface JobOutcomeLine {
  jobId: string;
  correlationId: string;
  outcome: JobOutcome;
  messageId?: string;
  errorCode?: number | string;
  reason?: string;
  attempts?: number;
  ambiguous?: boolean;
  /** Deferred or retried: seconds until it comes back. */
  delaySeconds?: number;
}

/** One provider call: how many messages, for which jobs and events, its result and latency. */
export interface ProviderCallLine {
  latencyMs: number;
  messages: number;
  result: string;
  jobIds: string[];
  /** The distinct correlation ids of the call's jobs. */
  correlationIds: string[];
}

/**
 * What reconciling an ambiguous job came to: `found` at the provider (not sent again),
 * `resent-after-empty-search` (a possible double: the provider may not have shown it yet),
 * `double-confirmed` (the provider lists it twice: a real double), `resent-without-search` (no search
 * to ask), `unreconciled` (dead-lettered unsent after the limit).
 */
export type ReconcileOutcome =
  | 'found'
  | 'resent-after-empty-search'
  | 'double-confirmed'
  | 'resent-without-search'
  | 'unreconciled';

/** One reconciled job: its calls of unknown outcome, and what the provider listed for it. */
export interface ReconciledLine {
  jobId: string;
  correlationId: string;
  verdict: ReconcileOutcome;
  calls: string[];
  messageIds?: string[];
}

/** One search of the provider for a call's messages. */
export interface SearchLine {
  callRef: string;
  latencyMs: number;
  result: string;
  listed: number;
}

/** Counters kept beside the metrics, for tests and benchmarks in the same process. */
export type TelemetryCounts = Record<
  JobOutcome | ReconcileOutcome | 'ambiguous' | 'calls' | 'searches' | 'paused' | 'resumed',
  number
>;

/** A fresh set of counters, all zero. */
export function emptyCounts(): TelemetryCounts {
  return {
    sent: 0,
    duplicate: 0,
    'dead-lettered': 0,
    deferred: 0,
    retried: 0,
    ambiguous: 0,
    found: 0,
    'resent-after-empty-search': 0,
    'double-confirmed': 0,
    'resent-without-search': 0,
    unreconciled: 0,
    calls: 0,
    searches: 0,
    paused: 0,
    resumed: 0,
  };
}

/** What the batcher reports: log lines and Powertools metrics (embedded metric format). */
export interface BatcherTelemetry {
  job(line: JobOutcomeLine): void;
  /** The job is claimed in the ledger for this attempt (counted before the call). */
  claimed(line: {
    jobId: string;
    correlationId: string;
    attempt: number;
    ambiguous: boolean;
  }): void;
  ambiguous(jobId: string, correlationId: string): void;
  reconciled(line: ReconciledLine): void;
  searched(line: SearchLine): void;
  providerCall(line: ProviderCallLine): void;
  paused(reason: string, seconds: number): void;
  /** The trial a resume started was taken (one per resume): `ProviderResumed`. */
  resumed(via: ResumeVia): void;
  readonly counts: TelemetryCounts;
}

const METRIC_NAMES: Record<JobOutcome, string> = {
  sent: 'EmailSent',
  duplicate: 'EmailDuplicate',
  'dead-lettered': 'EmailDeadLettered',
  deferred: 'EmailDeferred',
  retried: 'EmailRetried',
};

const RECONCILE_METRICS: Record<ReconcileOutcome, string> = {
  found: 'EmailReconciledFound',
  'resent-after-empty-search': 'EmailResentAfterEmptySearch',
  'double-confirmed': 'EmailDoubleConfirmed',
  'resent-without-search': 'EmailResentWithoutSearch',
  unreconciled: 'EmailAmbiguousUnreconciled',
};

/** Telemetry backed by a Powertools logger and metrics; `metrics` is flushed by the handler. */
export function makeTelemetry(logger: Logger, metrics: Metrics): BatcherTelemetry {
  const counts = emptyCounts();
  return {
    counts,
    job(line) {
      counts[line.outcome] += 1;
      metrics.addMetric(METRIC_NAMES[line.outcome], MetricUnit.Count, 1);
      if (line.errorCode !== undefined && line.outcome !== 'sent') {
        // Failed by code: one metric per code, so an alarm can watch one of them.
        metrics
          .singleMetric()
          .addDimension('ErrorCode', String(line.errorCode))
          .addMetric('EmailFailed', MetricUnit.Count, 1);
      }
      logger.info('email job', { ...line });
    },
    claimed(line) {
      logger.info('email job claimed', { ...line });
    },
    ambiguous(jobId, correlationId) {
      counts.ambiguous += 1;
      metrics.addMetric('EmailAmbiguous', MetricUnit.Count, 1);
      logger.warn(
        'email job in a call with an unknown outcome (ambiguous): the provider is asked before it is sent again',
        { jobId, correlationId, outcome: 'ambiguous' },
      );
    },
    reconciled(line) {
      counts[line.verdict] += 1;
      metrics.addMetric(RECONCILE_METRICS[line.verdict], MetricUnit.Count, 1);
      if (line.verdict === 'double-confirmed') {
        logger.error('email job sent twice: the provider lists two messages for it', { ...line });
      } else if (line.verdict === 'found') {
        logger.info('email job found at the provider: recorded sent, not sent again', { ...line });
      } else {
        logger.warn(`email job reconciled: ${line.verdict}`, { ...line });
      }
    },
    searched(line) {
      counts.searches += 1;
      metrics.addMetric('ProviderSearchLatency', MetricUnit.Milliseconds, line.latencyMs);
      logger.info('provider search', { ...line });
    },
    providerCall(line) {
      counts.calls += 1;
      metrics.addMetric('ProviderCallLatency', MetricUnit.Milliseconds, line.latencyMs);
      logger.info('provider call', { ...line });
    },
    paused(reason, seconds) {
      counts.paused += 1;
      metrics.addMetric('ProviderPaused', MetricUnit.Count, 1);
      logger.error('email provider paused: our token or account is refused', { reason, seconds });
    },
    resumed(via) {
      counts.resumed += 1;
      metrics.addMetric('ProviderResumed', MetricUnit.Count, 1);
      logger.warn('email provider pause resumed: one trial call now', { resumedVia: via });
    },
  };
}
