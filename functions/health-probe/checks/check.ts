import type { CheckResult } from '../health';

/** What a check is given: the abort signal of its own timeout, and the clock. */
export interface CheckContext {
  signal: AbortSignal;
  now: () => number;
}

/**
 * One named check. `run` measures and returns one result per component; `describe` says what the
 * check covers, so a check that times out or throws can still be reported per component.
 */
export interface Check {
  /** The `component:measurement` key. */
  key: string;
  componentType: string;
  /** The components this check reports on (one result each when it cannot run). */
  componentIds: readonly string[];
  critical: boolean;
  run(context: CheckContext): Promise<CheckResult[]>;
}

/** Builds a result for a component of `check`, timestamped now. */
export function resultOf(
  check: Pick<Check, 'key' | 'componentType' | 'critical'>,
  componentId: string,
  now: () => number,
  fields: Pick<CheckResult, 'status'> & Partial<CheckResult>,
): CheckResult {
  return {
    key: check.key,
    componentId,
    componentType: check.componentType,
    critical: check.critical,
    time: new Date(now()).toISOString(),
    ...fields,
  };
}

/** Milliseconds elapsed since `started`, rounded to a tenth. */
export function elapsedMs(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
