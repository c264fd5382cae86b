/** The deploy template rules for SQS event source mappings: partial failures, visibility, batching. */
import {
  asList,
  type CfnResource,
  type CfnTemplate,
  type Entry,
  getAttTarget,
  isRecord,
  numberOr,
  props,
  refTarget,
  resourcesOfType,
  type TemplateRule,
} from './template-rules-cfn';
import { SQS_QUEUE } from './template-rules-queues';

const SQS_DEFAULT_VISIBILITY_SECONDS = 30;
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;
const VISIBILITY_FACTOR = 6;
/** Lambda's SQS limits: batches over 10 need a window; FIFO queues stop at 10. */
const SQS_DEFAULT_BATCH_SIZE = 10;
const SQS_MAX_BATCH_SIZE = 10_000;
const MAX_BATCHING_WINDOW_SECONDS = 300;

/** The queue an event source mapping reads, when it is a queue in this template. */
function mappingQueueId(template: CfnTemplate, mapping: CfnResource): string | undefined {
  const id = getAttTarget(props(mapping).EventSourceArn, (a) => a === 'Arn');
  return id && template.Resources?.[id]?.Type === SQS_QUEUE ? id : undefined;
}

function isSqsMapping(template: CfnTemplate, mapping: CfnResource): boolean {
  const arn = props(mapping).EventSourceArn;
  return mappingQueueId(template, mapping) !== undefined || JSON.stringify(arn).includes(':sqs:');
}

/** Every event source mapping that reads SQS (a queue here, or an SQS ARN elsewhere). */
const sqsMappings = (template: CfnTemplate): Entry[] =>
  resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(([, mapping]) =>
    isSqsMapping(template, mapping),
  );

/** Every SQS event source mapping reports partial batch failures. */
export const everySqsEventReportsBatchItemFailures: TemplateRule = (template) =>
  sqsMappings(template)
    .filter(([, m]) => !asList(props(m).FunctionResponseTypes).includes('ReportBatchItemFailures'))
    .map(([id]) => `${id}: FunctionResponseTypes lacks ReportBatchItemFailures`);

/** The function an event source mapping invokes (GetAtt Arn, Ref, or an alias built with Fn::Join). */
function mappingFunctionId(mapping: CfnResource): string | undefined {
  const target = props(mapping).FunctionName;
  const joined = isRecord(target) ? asList(target['Fn::Join'])[1] : undefined;
  const candidates = [target, ...asList(joined)];
  for (const candidate of candidates) {
    const id = getAttTarget(candidate, (a) => a === 'Arn') ?? refTarget(candidate);
    if (id) return id;
  }
  return undefined;
}

/** Each consumed queue's visibility timeout >= 6 x its consumer's timeout + batching window. */
export const visibilityCoversConsumers: TemplateRule = (template) => {
  const violations: string[] = [];
  for (const [id, mapping] of sqsMappings(template)) {
    const queueId = mappingQueueId(template, mapping);
    const functionId = mappingFunctionId(mapping);
    const queue = queueId ? template.Resources?.[queueId] : undefined;
    const fn = functionId ? template.Resources?.[functionId] : undefined;
    if (!queue || fn?.Type !== 'AWS::Lambda::Function') {
      violations.push(`${id}: queue or consumer function is not in this template`);
      continue;
    }
    const visibility = numberOr(props(queue).VisibilityTimeout, SQS_DEFAULT_VISIBILITY_SECONDS);
    const timeout = numberOr(props(fn).Timeout, LAMBDA_DEFAULT_TIMEOUT_SECONDS);
    // Records wait in the batching window already received, so the window spends visibility too.
    const window = numberOr(props(mapping).MaximumBatchingWindowInSeconds, 0);
    const needed = VISIBILITY_FACTOR * timeout + window;
    if (!(visibility >= needed)) {
      violations.push(
        `${queueId}: VisibilityTimeout ${visibility} s < 6 x ${functionId} Timeout ${timeout} s + window ${window} s = ${needed} s`,
      );
    }
  }
  return violations;
};

const isWhole = (value: number, min: number, max: number): boolean =>
  Number.isInteger(value) && value >= min && value <= max;

/**
 * Every SQS mapping's batch is one Lambda accepts: BatchSize 1 to 10,000 (10 on a FIFO queue), a
 * window of 0 to 300 s, and a window of at least 1 s whenever BatchSize is over 10.
 */
export const sqsBatchesHaveTheirBatchingWindow: TemplateRule = (template) => {
  const violations: string[] = [];
  for (const [id, mapping] of sqsMappings(template)) {
    const { BatchSize, MaximumBatchingWindowInSeconds } = props(mapping);
    const batchSize = numberOr(BatchSize, SQS_DEFAULT_BATCH_SIZE);
    const window = numberOr(MaximumBatchingWindowInSeconds, 0);
    if (!isWhole(batchSize, 1, SQS_MAX_BATCH_SIZE)) {
      violations.push(
        `${id}: BatchSize ${JSON.stringify(BatchSize)} is not a whole number from 1 to 10000`,
      );
    }
    if (!isWhole(window, 0, MAX_BATCHING_WINDOW_SECONDS)) {
      violations.push(
        `${id}: MaximumBatchingWindowInSeconds ${JSON.stringify(MaximumBatchingWindowInSeconds)} is not a whole number from 0 to 300`,
      );
    }
    if (batchSize > SQS_DEFAULT_BATCH_SIZE && !(window >= 1)) {
      violations.push(
        `${id}: BatchSize ${batchSize} over 10 needs MaximumBatchingWindowInSeconds of at least 1 (has ${window})`,
      );
    }
    const queueId = mappingQueueId(template, mapping);
    const fifo = queueId ? template.Resources?.[queueId]?.Properties?.FifoQueue : undefined;
    if ((fifo === true || fifo === 'true') && batchSize > SQS_DEFAULT_BATCH_SIZE) {
      violations.push(`${id}: BatchSize ${batchSize} is over 10 on FIFO queue ${queueId}`);
    }
  }
  return violations;
};
