import type { CheckResult } from '../health';
import { type Check, resultOf } from './check';

/** Time limits of one round of checks. */
export interface CheckBudget {
  /** Each check fails at this timeout, whatever its dependency does. */
  checkTimeoutMs: number;
  /** Every check of the round settles within this (a check that started late gets what is left). */
  budgetMs: number;
}

/** Resolves after `ms` with `value`, and can be cancelled so no timer outlives the round. */
function timer<T>(ms: number, value: T) {
  let handle: NodeJS.Timeout | undefined;
  const promise = new Promise<T>((resolve) => {
    handle = setTimeout(() => resolve(value), ms);
  });
  return { promise, cancel: () => clearTimeout(handle) };
}

/** One failed result per component of `check`, for a check that timed out or threw. */
function failedResults(check: Check, output: string, now: () => number): CheckResult[] {
  return check.componentIds.map((id) => resultOf(check, id, now, { status: 'fail', output }));
}

/**
 * Runs every check in parallel, each with its own timeout inside the overall budget. A check whose
 * dependency hangs fails at its timeout (its calls are aborted through the signal, and the result is
 * not waited for even if a call ignores the signal), so the round always ends within the budget.
 * A check that throws fails with a generic output: the error itself is for the logs, not the answer.
 */
export async function runChecks(
  checks: readonly Check[],
  budget: CheckBudget,
  options: { now: () => number; onError?: (check: Check, error: unknown) => void },
): Promise<CheckResult[]> {
  const { now, onError } = options;
  const timeoutMs = Math.min(budget.checkTimeoutMs, budget.budgetMs);
  const rounds = checks.map(async (check) => {
    const controller = new AbortController();
    const limit = timer(timeoutMs, 'timeout' as const);
    try {
      const outcome = await Promise.race([
        check.run({ signal: controller.signal, now }).then((results) => ({ results })),
        limit.promise,
      ]);
      if (outcome === 'timeout') {
        return failedResults(check, `no answer within ${timeoutMs} ms`, now);
      }
      return outcome.results;
    } catch (error) {
      onError?.(check, error);
      return failedResults(check, 'check failed', now);
    } finally {
      limit.cancel();
      // Aborts whatever the check still has in flight (an SDK call past its timeout, a fetch).
      controller.abort();
    }
  });
  return (await Promise.all(rounds)).flat();
}
