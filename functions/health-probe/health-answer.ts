import type { Check } from './checks/check';
import { type CheckBudget, runChecks } from './checks/run';
import { type CheckResult, overallStatus } from './health';
import type { HealthHistory, ProbeRun } from './history';

/** What `/health` and `/status` show: every check, the overall state, and the latest run's age. */
export interface CurrentHealth {
  checks: CheckResult[];
  status: CheckResult['status'];
  /** When the live checks ran (epoch ms). */
  measuredAt: number;
}

/** Settings for {@link makeCurrentHealth}. */
export interface CurrentHealthOptions {
  live: readonly Check[];
  /**
   * Every check of the scheduled round. Those the latest stored run cannot answer for (the history is
   * down, or has no result for them) are run live, so no check is ever left out of an answer.
   */
  scheduled?: readonly Check[];
  history: Pick<HealthHistory, 'latest'>;
  budget: CheckBudget;
  /** Live results (and the latest run) are reused for this long, per container. */
  cacheMs: number;
  /** The schedule's period: a run older than three periods is stale. */
  periodMs: number;
  now: () => number;
  onError?: (what: string, error: unknown) => void;
}

const STALE_PERIODS = 3;

/** The `probe:lastRun` check: how old the latest scheduled run is. */
function lastRunCheck(run: ProbeRun | undefined, failed: boolean, options: CurrentHealthOptions) {
  const now = options.now();
  const base = {
    key: 'probe:lastRun',
    componentId: 'health-probe',
    componentType: 'component',
    critical: false,
    time: new Date(now).toISOString(),
  };
  if (!run) {
    const output = failed ? 'history unavailable' : 'no scheduled run yet';
    return { ...base, status: 'warn' as const, output };
  }
  const ageSeconds = Math.max(0, Math.round((now - Date.parse(run.time)) / 1000));
  const stale = ageSeconds * 1000 > STALE_PERIODS * options.periodMs;
  return {
    ...base,
    status: stale ? ('warn' as const) : ('pass' as const),
    observedValue: ageSeconds,
    observedUnit: 's',
    ...(stale ? { output: 'scheduled results are stale' } : {}),
  };
}

/**
 * Combines the latest scheduled run with the live checks. Live results replace the run's results of
 * the same component; the run's other results count, but can only warn (stale data must not fail a
 * load balancer's check), and are all `warn` once the run is older than three periods.
 */
export function combine(
  live: readonly CheckResult[],
  run: ProbeRun | undefined,
  historyFailed: boolean,
  options: CurrentHealthOptions,
): CheckResult[] {
  const seen = new Set(live.map((c) => `${c.key}|${c.componentId}`));
  const lastRun = lastRunCheck(run, historyFailed, options);
  const stale = lastRun.output === 'scheduled results are stale';
  const scheduled = (run?.checks ?? [])
    .filter((c) => !seen.has(`${c.key}|${c.componentId}`))
    .map((c): CheckResult => {
      const fromRun = { ...c, critical: false };
      return stale ? { ...fromRun, status: 'warn', output: 'result is stale' } : fromRun;
    });
  return [...live, ...scheduled, lastRun];
}

/**
 * The current health for `/health` and `/status`: the live checks and the latest stored run, both
 * reused for `cacheMs` per container (and shared by concurrent requests), so a flood of requests
 * makes at most one round of AWS calls per `cacheMs`. Every part runs within the budget.
 */
export function makeCurrentHealth(options: CurrentHealthOptions) {
  let cached: { at: number; value: Promise<CurrentHealth> } | undefined;

  const measure = async (): Promise<CurrentHealth> => {
    const { live, history, budget, now, onError } = options;
    const readLatest = async () => {
      const signal = AbortSignal.timeout(Math.min(budget.checkTimeoutMs, budget.budgetMs));
      try {
        return { run: await history.latest(signal), failed: false };
      } catch (error) {
        onError?.('history', error);
        return { run: undefined, failed: true };
      }
    };
    const reportError = (check: Check, error: unknown) => onError?.(check.key, error);
    const [results, latest] = await Promise.all([
      runChecks(live, budget, { now, onError: reportError }),
      readLatest(),
    ]);
    // Scheduled checks with no stored result (history down or never run) are measured now: those that
    // do not need the table report their real state, the others fail or warn with a reason.
    const answered = new Set([
      ...results.map((c) => c.key),
      ...(latest.run?.checks ?? []).map((c) => c.key),
    ]);
    const missing = (options.scheduled ?? []).filter((check) => !answered.has(check.key));
    const fallback =
      missing.length > 0 ? await runChecks(missing, budget, { now, onError: reportError }) : [];
    const checks = combine([...results, ...fallback], latest.run, latest.failed, options);
    return { checks, status: overallStatus(checks), measuredAt: now() };
  };

  return (): Promise<CurrentHealth> => {
    const at = options.now();
    if (!cached || at - cached.at >= options.cacheMs) {
      cached = { at, value: measure() };
    }
    return cached.value;
  };
}
