import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Check } from './checks/check';
import { type CheckBudget, runChecks } from './checks/run';
import { type CheckResult, effectiveStatus, type HealthStatus, overallStatus } from './health';
import type { HealthHistory, ProbeRun } from './history';

/** Settings for {@link makeProbe}. */
export interface ProbeOptions {
  checks: readonly Check[];
  history: Pick<HealthHistory, 'latest' | 'save'>;
  budget: CheckBudget;
  metrics: Pick<Metrics, 'addMetric' | 'publishStoredMetrics'>;
  logger: Logger;
  now: () => number;
}

/** Checks whose effective state differs from the previous run's, as `key componentId: from -> to`. */
function changedChecks(previous: ProbeRun, checks: readonly CheckResult[]): string[] {
  const before = new Map(
    previous.checks.map((c) => [`${c.key} ${c.componentId}`, effectiveStatus(c)] as const),
  );
  return checks
    .map(
      (c) =>
        [
          `${c.key} ${c.componentId}`,
          before.get(`${c.key} ${c.componentId}`),
          effectiveStatus(c),
        ] as const,
    )
    .filter(([, from, to]) => from !== undefined && from !== to)
    .map(([name, from, to]) => `${name}: ${from} -> ${to}`);
}

const LEVEL: Record<HealthStatus, 'info' | 'warn' | 'error'> = {
  pass: 'info',
  warn: 'warn',
  fail: 'error',
};

/**
 * The scheduled probe: runs every check within the budget, stores the run with its TTL, logs a change
 * of the overall state once (not every period), and publishes metrics the alarms watch. A failure to
 * store is logged and does not hide the metrics: an alarm on `HealthFail` still sees the run.
 */
export function makeProbe(options: ProbeOptions) {
  const { checks, history, budget, metrics, logger, now } = options;
  return async (): Promise<ProbeRun> => {
    const started = now();
    const previousRead = history
      .latest(AbortSignal.timeout(budget.checkTimeoutMs))
      .catch((error: unknown) => {
        logger.warn('health history unavailable', { error });
        return undefined;
      });
    const results = await runChecks(checks, budget, {
      now,
      onError: (check, error) => logger.warn('health check threw', { check: check.key, error }),
    });
    const status = overallStatus(results);
    const run: ProbeRun = { time: new Date(started).toISOString(), status, checks: results };
    const previous = await previousRead;

    if (!previous || previous.status !== status) {
      const failing = results
        .filter((c) => effectiveStatus(c) !== 'pass')
        .map((c) => ({
          check: c.key,
          component: c.componentId,
          status: effectiveStatus(c),
          output: c.output,
        }));
      logger[LEVEL[status]]('health state changed', {
        from: previous?.status ?? 'unknown',
        to: status,
        changed: previous ? changedChecks(previous, results) : [],
        notPassing: failing,
      });
    }

    try {
      await history.save(run, AbortSignal.timeout(budget.checkTimeoutMs));
    } catch (error) {
      logger.error('health run not stored', { error });
    }

    metrics.addMetric('HealthFail', MetricUnit.Count, status === 'fail' ? 1 : 0);
    metrics.addMetric('HealthWarn', MetricUnit.Count, status === 'warn' ? 1 : 0);
    metrics.addMetric(
      'ChecksNotPassing',
      MetricUnit.Count,
      results.filter((c) => effectiveStatus(c) !== 'pass').length,
    );
    const deadLetters = results
      .filter((c) => c.key === 'dlq:depth' && typeof c.observedValue === 'number')
      .reduce((sum, c) => sum + Number(c.observedValue), 0);
    metrics.addMetric('DeadLetters', MetricUnit.Count, deadLetters);
    metrics.addMetric('ProbeDuration', MetricUnit.Milliseconds, now() - started);
    metrics.publishStoredMetrics();
    return run;
  };
}
