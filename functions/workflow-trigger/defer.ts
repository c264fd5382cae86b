import type { SQSRecord } from 'aws-lambda';
import { attemptsOf } from '../../shared/queue/settlement';
import { nextHop } from './schedule';
import type { TriggerDeps, TriggerRun } from './types';

/** Puts a record back on the queue for `seconds` without spending an attempt. */
export function deferRecord(
  deps: TriggerDeps,
  run: TriggerRun,
  entry: { record: SQSRecord; correlationId: string; jobId: string },
  seconds: number,
  reason: string,
  attempts = attemptsOf(entry.record),
): void {
  const hop = nextHop(seconds, deps.now());
  run.settlement.defer({
    record: entry.record,
    delaySeconds: hop.delaySeconds,
    attempts,
    attributes: hop.attributes,
  });
  deps.telemetry.job({
    jobId: entry.jobId,
    correlationId: entry.correlationId,
    outcome: 'deferred',
    reason,
    delaySeconds: Math.ceil(seconds),
  });
}
