/** The deploy template rules for queues: each has a DLQ, and each DLQ has an alarm on its depth. */
import {
  asList,
  type CfnResource,
  type CfnTemplate,
  getAttTarget,
  isRecord,
  numberOr,
  props,
  propsOf,
  resourcesOfType,
  type TemplateRule,
} from './template-rules-cfn';

/** The CloudFormation type of a queue. */
export const SQS_QUEUE = 'AWS::SQS::Queue';
const SQS_DEFAULT_RETENTION_SECONDS = 345_600;
const MIN_MAX_RECEIVE_COUNT = 3;

/** A queue's redrive policy, given as an object or as the JSON string older templates use. */
function redrivePolicy(queue: CfnResource): Record<string, unknown> | undefined {
  const raw = props(queue).RedrivePolicy;
  if (typeof raw !== 'string') return isRecord(raw) ? raw : undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Logical ids of the queues some other queue names as its dead-letter target. */
export function deadLetterQueueIds(template: CfnTemplate): Set<string> {
  const ids = new Set<string>();
  for (const [, queue] of resourcesOfType(template, SQS_QUEUE)) {
    const target = getAttTarget(redrivePolicy(queue)?.deadLetterTargetArn, (a) => a === 'Arn');
    if (target) ids.add(target);
  }
  return ids;
}

/**
 * Every queue that is not itself a DLQ has a DLQ in this template, with maxReceiveCount >= 3, and the
 * DLQ keeps messages longer than its source queue.
 */
export const everyQueueHasDeadLetterQueue: TemplateRule = (template) => {
  const dlqs = deadLetterQueueIds(template);
  const violations: string[] = [];
  for (const [id, queue] of resourcesOfType(template, SQS_QUEUE)) {
    if (dlqs.has(id)) continue;
    const policy = redrivePolicy(queue);
    if (!policy) {
      violations.push(`${id}: no RedrivePolicy (no dead-letter queue)`);
      continue;
    }
    const dlqId = getAttTarget(policy.deadLetterTargetArn, (a) => a === 'Arn');
    const dlq = dlqId ? template.Resources?.[dlqId] : undefined;
    if (!dlqId || dlq?.Type !== SQS_QUEUE) {
      violations.push(`${id}: deadLetterTargetArn is not Fn::GetAtt of a queue in this template`);
    }
    const maxReceiveCount = numberOr(policy.maxReceiveCount, Number.NaN);
    if (!(maxReceiveCount >= MIN_MAX_RECEIVE_COUNT)) {
      violations.push(`${id}: maxReceiveCount ${String(policy.maxReceiveCount)} is below 3`);
    }
    // SQS keeps the original enqueue time on redrive: a shorter DLQ retention loses dead letters early.
    const retention = numberOr(props(queue).MessageRetentionPeriod, SQS_DEFAULT_RETENTION_SECONDS);
    const dlqRetention = dlq
      ? numberOr(props(dlq).MessageRetentionPeriod, SQS_DEFAULT_RETENTION_SECONDS)
      : Number.NaN;
    if (dlq && !(dlqRetention > retention)) {
      violations.push(
        `${id}: DLQ ${dlqId} keeps messages ${dlqRetention} s, not longer than ${retention} s`,
      );
    }
  }
  return violations;
};

/** True when the alarm fires on one visible message in the queue `dlqId`. */
function alarmsOnDepth(template: CfnTemplate, alarm: CfnResource, dlqId: string): boolean {
  const p = props(alarm);
  const dlqName = propsOf(template, dlqId).QueueName;
  const watchesQueue = asList(p.Dimensions).some(
    (d) =>
      isRecord(d) &&
      d.Name === 'QueueName' &&
      (getAttTarget(d.Value, (a) => a === 'QueueName') === dlqId ||
        (dlqName !== undefined && d.Value === dlqName)),
  );
  const threshold = numberOr(p.Threshold, Number.NaN);
  const firesOnOne =
    (p.ComparisonOperator === 'GreaterThanOrEqualToThreshold' && threshold <= 1) ||
    (p.ComparisonOperator === 'GreaterThanThreshold' && threshold < 1);
  return (
    p.Namespace === 'AWS/SQS' &&
    p.MetricName === 'ApproximateNumberOfMessagesVisible' &&
    watchesQueue &&
    firesOnOne &&
    asList(p.AlarmActions).length > 0
  );
}

/** Every DLQ has an alarm with an action on its depth (one visible message is enough). */
export const everyDeadLetterQueueHasDepthAlarm: TemplateRule = (template) => {
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
  return [...deadLetterQueueIds(template)]
    .filter((dlqId) => template.Resources?.[dlqId]?.Type === SQS_QUEUE)
    .filter((dlqId) => !alarms.some(([, alarm]) => alarmsOnDepth(template, alarm, dlqId)))
    .map((dlqId) => `${dlqId}: no alarm with an action on ApproximateNumberOfMessagesVisible >= 1`);
};
