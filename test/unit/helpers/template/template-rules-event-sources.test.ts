import {
  everySqsEventReportsBatchItemFailures,
  sqsBatchesHaveTheirBatchingWindow,
  type TemplateRule,
  visibilityCoversConsumers,
} from '../../../helpers/template/template-rules';
import { broken, type Resources } from '../../../helpers/template/template-rules-fixtures';

const mapping = (r: Resources) => r.WorkerEventSourceMappingSQSJobsQueue.Properties;
const withBatch = (r: Resources, batch: Record<string, unknown>) =>
  Object.assign(mapping(r), batch);

describe('deploy template rules for SQS event sources', () => {
  it('accepts a batch of 100 with a one-second batching window', () => {
    const template = broken((r) => {
      withBatch(r, { BatchSize: 100, MaximumBatchingWindowInSeconds: 1 });
    });

    expect(sqsBatchesHaveTheirBatchingWindow(template)).toEqual([]);
    expect(visibilityCoversConsumers(template)).toEqual([]);
  });

  it('accepts the default batch of 10 without a batching window', () => {
    const template = broken((r) => {
      Reflect.deleteProperty(mapping(r), 'MaximumBatchingWindowInSeconds');
    });

    expect(sqsBatchesHaveTheirBatchingWindow(template)).toEqual([]);
  });

  // [what is broken, the rule that must catch it, the change, a part of the expected violation]
  const cases: Array<[string, TemplateRule, (r: Resources) => void, string]> = [
    [
      'an SQS mapping without ReportBatchItemFailures',
      everySqsEventReportsBatchItemFailures,
      (r) => {
        r.WorkerEventSourceMappingSQSJobsQueue.Properties.FunctionResponseTypes = [];
      },
      'WorkerEventSourceMappingSQSJobsQueue: FunctionResponseTypes',
    ],
    [
      'a mapping on an external SQS ARN without it',
      everySqsEventReportsBatchItemFailures,
      (r) => {
        r.External = {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:other' },
        };
      },
      'External: FunctionResponseTypes',
    ],
    [
      'visibility below 6 x timeout + window',
      visibilityCoversConsumers,
      (r) => {
        r.JobsQueue.Properties.VisibilityTimeout = 124;
      },
      'VisibilityTimeout 124 s < 6 x WorkerLambdaFunction Timeout 20 s + window 5 s = 125 s',
    ],
    [
      'the default 30 s visibility',
      visibilityCoversConsumers,
      (r) => {
        Reflect.deleteProperty(r.JobsQueue.Properties, 'VisibilityTimeout');
      },
      'VisibilityTimeout 30 s',
    ],
    [
      'a batching window that takes the visibility the consumer needed',
      visibilityCoversConsumers,
      (r) => {
        withBatch(r, { MaximumBatchingWindowInSeconds: 61 });
      },
      'VisibilityTimeout 180 s < 6 x WorkerLambdaFunction Timeout 20 s + window 61 s = 181 s',
    ],
    [
      'a batch of 50 without a batching window',
      sqsBatchesHaveTheirBatchingWindow,
      (r) => {
        withBatch(r, { BatchSize: 50 });
        Reflect.deleteProperty(mapping(r), 'MaximumBatchingWindowInSeconds');
      },
      'WorkerEventSourceMappingSQSJobsQueue: BatchSize 50 over 10 needs MaximumBatchingWindowInSeconds of at least 1 (has 0)',
    ],
    [
      'a batch of 11 with a zero batching window',
      sqsBatchesHaveTheirBatchingWindow,
      (r) => {
        withBatch(r, { BatchSize: '11', MaximumBatchingWindowInSeconds: 0 });
      },
      'BatchSize 11 over 10 needs MaximumBatchingWindowInSeconds of at least 1',
    ],
    [
      'a batch over 10 on a FIFO queue',
      sqsBatchesHaveTheirBatchingWindow,
      (r) => {
        withBatch(r, { BatchSize: 20 });
        Object.assign(r.JobsQueue.Properties, { FifoQueue: true });
      },
      'BatchSize 20 is over 10 on FIFO queue JobsQueue',
    ],
    [
      'a batching window over 300 s',
      sqsBatchesHaveTheirBatchingWindow,
      (r) => {
        withBatch(r, { MaximumBatchingWindowInSeconds: 301 });
      },
      'MaximumBatchingWindowInSeconds 301 is not a whole number from 0 to 300',
    ],
    [
      'a batch size it cannot read',
      sqsBatchesHaveTheirBatchingWindow,
      (r) => {
        withBatch(r, { BatchSize: { Ref: 'BatchSizeParameter' } });
      },
      'BatchSize {"Ref":"BatchSizeParameter"} is not a whole number',
    ],
    [
      'a batch of 100 on an SQS queue outside the template',
      sqsBatchesHaveTheirBatchingWindow,
      (r) => {
        r.External = {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:other',
            BatchSize: 100,
          },
        };
      },
      'External: BatchSize 100 over 10',
    ],
  ];

  it.each(cases)('catches %s', (_, rule, change, expected) => {
    const violations = rule(broken(change));

    expect(violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});
