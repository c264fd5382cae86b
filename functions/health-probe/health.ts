/**
 * The health model of draft-inadarei-api-health-check: a status per check, the overall status, and
 * the `application/health+json` document built from them.
 */

/** A check's or the whole answer's state. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** One measurement of one component: an entry of a `checks` array in health+json. */
export interface CheckResult {
  /** The `checks` key, `component:measurement`. */
  key: string;
  componentId: string;
  componentType: string;
  status: HealthStatus;
  observedValue?: number | string;
  observedUnit?: string;
  /** ISO time of the measurement. */
  time: string;
  /** Why it is not passing: a short safe phrase, never a secret or an internal detail. */
  output?: string;
  /**
   * Context for an operator that is not a fault (the last resume of a breaker or pause: who, when,
   * why). Shown on `/status`, kept out of the published document.
   */
  detail?: string;
  /**
   * True for the dependencies ingest needs (SQS, DynamoDB, Secrets Manager): only these may make the
   * answer `fail`. Kept out of the published document.
   */
  critical: boolean;
}

const RANK: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };

/** The worse of two states. */
export function worse(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * A check as it counts toward the answer: a failing check of a dependency ingest does not need is a
 * `warn`, because webhooks are still taken in safely.
 */
export function effectiveStatus(check: CheckResult): HealthStatus {
  return check.status === 'fail' && !check.critical ? 'warn' : check.status;
}

/** The overall state: the worst effective state of every check (`pass` when there are none). */
export function overallStatus(checks: readonly CheckResult[]): HealthStatus {
  return checks.reduce<HealthStatus>((acc, check) => worse(acc, effectiveStatus(check)), 'pass');
}

/** A health+json check entry. */
export type HealthCheckEntry = Partial<Omit<CheckResult, 'key' | 'critical'>> & {
  status: HealthStatus;
};

/** The health+json document. */
export interface HealthDocument {
  status: HealthStatus;
  description?: string;
  checks: Record<string, HealthCheckEntry[]>;
}

/**
 * Builds the health+json document. `detailed: false` keeps only the overall status and each check's
 * status: values, component ids and outputs describe the topology, which is nobody else's business.
 */
export function healthDocument(
  checks: readonly CheckResult[],
  options: { detailed: boolean; description?: string },
): HealthDocument {
  const grouped: Record<string, HealthCheckEntry[]> = {};
  for (const check of [...checks].sort((a, b) => a.key.localeCompare(b.key))) {
    const { key, critical: _critical, detail: _detail, ...entry } = check;
    const status = effectiveStatus(check);
    const published: HealthCheckEntry = options.detailed ? { ...entry, status } : { status };
    if (published.status === 'pass') delete published.output;
    const list = grouped[key] ?? [];
    list.push(published);
    grouped[key] = list;
  }
  return {
    status: overallStatus(checks),
    ...(options.detailed && options.description ? { description: options.description } : {}),
    checks: grouped,
  };
}

/** The HTTP status of an answer: 200 for pass and warn, 503 for fail. */
export function httpStatusOf(status: HealthStatus): number {
  return status === 'fail' ? 503 : 200;
}
