import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CheckResult } from '../health';
import { type Check, resultOf } from './check';

/** A queue by its name (the component id) and URL. */
export interface QueueRef {
  name: string;
  url: string;
}

async function depthOf(sqs: SQSClient, url: string, signal: AbortSignal): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
    { abortSignal: signal },
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
}

/** How a depth check reads one queue: its key, whether it is critical, and what a depth means. */
interface DepthRule {
  key: string;
  critical: boolean;
  judge: (depth: number) => Pick<CheckResult, 'status' | 'output'>;
  /** The status of a queue that does not answer. */
  unreachable: CheckResult['status'];
}

/** One result per queue, each from its own GetQueueAttributes, judged by `rule`. */
function depthCheck(sqs: SQSClient, queues: readonly QueueRef[], rule: DepthRule): Check {
  const check = {
    key: rule.key,
    componentType: 'datastore',
    componentIds: queues.map((q) => q.name),
    critical: rule.critical,
  };
  return {
    ...check,
    run: ({ signal, now }) =>
      Promise.all(
        queues.map(async (queue): Promise<CheckResult> => {
          try {
            const depth = await depthOf(sqs, queue.url, signal);
            return resultOf(check, queue.name, now, {
              ...rule.judge(depth),
              observedValue: depth,
              observedUnit: 'messages',
            });
          } catch {
            return resultOf(check, queue.name, now, {
              status: rule.unreachable,
              output: 'queue unreachable',
            });
          }
        }),
      ),
  };
}

/**
 * `queue:depth`: each job queue answers, with the messages waiting in it. Ingest cannot take webhooks
 * in without them, so an unreachable queue fails the answer. Read with GetQueueAttributes, never by
 * receiving a message.
 */
export function queueDepthCheck(sqs: SQSClient, queues: readonly QueueRef[]): Check {
  return depthCheck(sqs, queues, {
    key: 'queue:depth',
    critical: true,
    judge: () => ({ status: 'pass' }),
    unreachable: 'fail',
  });
}

/**
 * `dlq:depth`: each dead-letter queue's depth; `warn` when a message waits there (a job that will not
 * happen unless someone looks). Never `fail`: ingest does not need the DLQs to take webhooks in.
 */
export function deadLetterDepthCheck(sqs: SQSClient, queues: readonly QueueRef[]): Check {
  return depthCheck(sqs, queues, {
    key: 'dlq:depth',
    critical: false,
    judge: (depth) =>
      depth > 0 ? { status: 'warn', output: 'dead letters are waiting' } : { status: 'pass' },
    unreachable: 'warn',
  });
}

/**
 * `queue:oldestMessageAge`: each job queue's `ApproximateAgeOfOldestMessage` from CloudWatch (one
 * GetMetricData call for every queue), `warn` past `maxAgeSeconds`. Only in AWS: the local stack has no
 * CloudWatch, so the check is left out there. A queue with no data point (idle) passes at 0.
 */
export function oldestMessageAgeCheck(
  cloudWatch: CloudWatchClient,
  queues: readonly QueueRef[],
  maxAgeSeconds: number,
): Check {
  const check = {
    key: 'queue:oldestMessageAge',
    componentType: 'datastore',
    componentIds: queues.map((q) => q.name),
    critical: false,
  };
  return {
    ...check,
    async run({ signal, now }) {
      const end = new Date(now());
      const { MetricDataResults = [] } = await cloudWatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(end.getTime() - 10 * 60_000),
          EndTime: end,
          ScanBy: 'TimestampDescending',
          MetricDataQueries: queues.map((queue, index) => ({
            Id: `q${index}`,
            MetricStat: {
              Metric: {
                Namespace: 'AWS/SQS',
                MetricName: 'ApproximateAgeOfOldestMessage',
                Dimensions: [{ Name: 'QueueName', Value: queue.name }],
              },
              Period: 60,
              Stat: 'Maximum',
            },
          })),
        }),
        { abortSignal: signal },
      );
      return queues.map((queue, index) => {
        const series = MetricDataResults.find((r) => r.Id === `q${index}`);
        const age = series?.Values?.[0] ?? 0;
        const old = age > maxAgeSeconds;
        return resultOf(check, queue.name, now, {
          status: old ? 'warn' : 'pass',
          observedValue: age,
          observedUnit: 's',
          ...(old ? { output: `oldest message waits longer than ${maxAgeSeconds} s` } : {}),
        });
      });
    },
  };
}
