// How the workflow benchmark prints: the trigger with its breaker against a breaker that never
// opens, in the same run, and DynamoDB requests per triggered job against the floor.

const { fixed, ratio, table } = require('../lib/stats');

/** Target: the breaker lets at least 90 % fewer calls reach a failing engine. */
const TARGET_REDUCTION = 0.9;

/** Target: after recovery every job is triggered within 1.5x the time it takes without the breaker. */
const TARGET_RECOVERY_RATIO = 1.5;

/** @param {Awaited<ReturnType<typeof import('./workflow').runWorkflow>>} result */
function printWorkflow(result) {
  const { withBreaker: on, withoutBreaker: off, healthy, jobs, consumers, settings } = result;
  const seconds = (/** @type {number} */ value) => fixed(value, 1);
  const reduction = 1 - ratio(on.outageCalls, off.outageCalls);
  const recoveryRatio = ratio(on.recoverySeconds, off.recoverySeconds);
  console.log(
    table(
      `Workflow trigger: ${on.outageSeconds} s engine outage (every call 500) with ${jobs} jobs queued, ${consumers} consumers (maximumConcurrency ${consumers}); backoff base ${settings.WORKFLOW_BACKOFF_BASE_SECONDS} s, max ${settings.WORKFLOW_BACKOFF_MAX_SECONDS} s, ${settings.WORKFLOW_MAX_ATTEMPTS} attempts (bench settings); breaker defaults (cool-down ${result.breaker.firstCooldownSeconds} s first, x${result.breaker.cooldownGrowth} per failed trial, ${result.breaker.cooldownSeconds} s at most)`,
      ['', 'with breaker', 'breaker never opens', 'with/without'],
      [
        [
          'engine calls during the outage',
          on.outageCalls,
          off.outageCalls,
          `${fixed(ratio(on.outageCalls, off.outageCalls), 3)}x`,
        ],
        ['engine calls in all', on.totalCalls, off.totalCalls, ''],
        ['jobs triggered', on.triggered, off.triggered, ''],
        [
          'after recovery: failed calls / repeats of a triggered key',
          `${on.failedAfterRecovery} / ${on.repeatedKeys}`,
          `${off.failedAfterRecovery} / ${off.repeatedKeys}`,
          '',
        ],
        [
          'recovery -> first job triggered (s)',
          seconds(on.firstTriggerAfterRecoverySeconds),
          seconds(off.firstTriggerAfterRecoverySeconds),
          '',
        ],
        [
          'first -> last job triggered (s)',
          seconds(on.recoverySeconds - on.firstTriggerAfterRecoverySeconds),
          seconds(off.recoverySeconds - off.firstTriggerAfterRecoverySeconds),
          '',
        ],
        [
          'recovery -> all jobs triggered (s)',
          seconds(on.recoverySeconds),
          seconds(off.recoverySeconds),
          `${fixed(recoveryRatio, 2)}x`,
        ],
        [
          'attempt that triggered (median / max)',
          `${on.attemptsMedian} / ${on.attemptsMax}`,
          `${off.attemptsMedian} / ${off.attemptsMax}`,
          '',
        ],
        [
          'breaker opened (and reopened) / closed',
          `${on.outcomes.breakerOpened} / ${on.outcomes.breakerClosed}`,
          '',
          '',
        ],
        ['dead-lettered', on.outcomes['dead-lettered'], off.outcomes['dead-lettered'], ''],
      ],
    ),
  );
  console.log(
    reduction >= TARGET_REDUCTION
      ? `  target >= 90 % fewer calls during the outage: met (${fixed(reduction * 100, 1)} % fewer)`
      : `  target >= 90 % fewer calls during the outage: MISSED (${fixed(reduction * 100, 1)} % fewer)`,
  );
  console.log(
    `  target all jobs triggered within ${TARGET_RECOVERY_RATIO}x the time without the breaker: ${recoveryRatio <= TARGET_RECOVERY_RATIO ? 'met' : 'MISSED'} (${fixed(recoveryRatio, 2)}x)`,
  );
  const per = (/** @type {number} */ value) => fixed(value / Math.max(1, healthy.triggered), 3);
  const { capacity } = healthy;
  console.log(
    table(
      `Workflow trigger, healthy engine: ${healthy.triggered} of ${jobs} jobs triggered, DynamoDB requests per triggered job (counted in the SDK client)`,
      ['', 'per job', 'in all'],
      [
        [
          'writes (floor: 1 claim + 1 mark = 2)',
          per(healthy.dynamoDb.writes),
          healthy.dynamoDb.writes,
        ],
        ['reads (floor: 0)', per(healthy.dynamoDb.reads), healthy.dynamoDb.reads],
        ...Object.entries(healthy.operations)
          .filter(([operation]) => operation.startsWith('DynamoDB.'))
          .map(([operation, count]) => [`  ${operation}`, per(count), count]),
        [
          'consumed capacity units',
          capacity.answers > 0 ? per(capacity.capacityUnits) : 'n/a',
          capacity.answers > 0 ? fixed(capacity.capacityUnits, 1) : 'not reported',
        ],
      ],
    ),
  );
  console.log('');
}

module.exports = { printWorkflow };
