/**
 * The deploy template rules (docs/deploying.md) as pure checks on a packaged
 * CloudFormation template. Each rule returns its violations as readable strings; an empty list passes.
 * They read intrinsic functions structurally (`Fn::GetAtt`, `Ref`, `Fn::Sub`) and never resolve them
 * against AWS, so anything they cannot prove counts as a violation rather than a pass.
 *
 * The rules live by subject: queues and their alarms, SQS event sources, IAM, tables and log groups.
 */

import type { TemplateRule } from './template-rules-cfn';
import {
  everySqsEventReportsBatchItemFailures,
  sqsBatchesHaveTheirBatchingWindow,
  visibilityCoversConsumers,
} from './template-rules-event-sources';
import { everyFunctionHasItsOwnLeastPrivilegeRole } from './template-rules-iam';
import {
  everyDeadLetterQueueHasDepthAlarm,
  everyQueueHasDeadLetterQueue,
} from './template-rules-queues';
import {
  everyLogGroupHasRetention,
  everyTableIsOnDemandWithTtl,
} from './template-rules-tables-logs';

export type { CfnResource, CfnTemplate, TemplateRule } from './template-rules-cfn';
export {
  everySqsEventReportsBatchItemFailures,
  sqsBatchesHaveTheirBatchingWindow,
  visibilityCoversConsumers,
} from './template-rules-event-sources';
export { everyFunctionHasItsOwnLeastPrivilegeRole } from './template-rules-iam';
export {
  deadLetterQueueIds,
  everyDeadLetterQueueHasDepthAlarm,
  everyQueueHasDeadLetterQueue,
} from './template-rules-queues';
export {
  everyLogGroupHasRetention,
  everyTableIsOnDemandWithTtl,
} from './template-rules-tables-logs';

/** All deploy template rules, keyed by what they require. */
export const deployTemplateRules: Readonly<Record<string, TemplateRule>> = Object.freeze({
  'every queue has a DLQ with maxReceiveCount of at least 3': everyQueueHasDeadLetterQueue,
  'every SQS event reports batch item failures': everySqsEventReportsBatchItemFailures,
  "each queue's visibility timeout covers 6 x its consumer's timeout plus batching window":
    visibilityCoversConsumers,
  'an SQS batch over 10 messages has a batching window of at least 1 s':
    sqsBatchesHaveTheirBatchingWindow,
  'each function has its own least-privilege role': everyFunctionHasItsOwnLeastPrivilegeRole,
  'tables are on-demand with TTL': everyTableIsOnDemandWithTtl,
  'log groups have a retention': everyLogGroupHasRetention,
  'each DLQ has an alarm on its depth': everyDeadLetterQueueHasDepthAlarm,
});
