import {
  type CfnResource,
  type CfnTemplate,
  deployTemplateRules,
  everyDeadLetterQueueHasDepthAlarm,
  everyFunctionHasItsOwnLeastPrivilegeRole,
  everyLogGroupHasRetention,
  everyQueueHasDeadLetterQueue,
  everySqsEventReportsBatchItemFailures,
  everyTableIsOnDemandWithTtl,
  largeSqsBatchesHaveBatchingWindow,
  type TemplateRule,
  visibilityCoversConsumers,
} from '../helpers/template-rules';

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const sub = (text: string) => ({ 'Fn::Sub': text });
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
const ownLogs = 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:';

/** A small template that satisfies every rule: one queue, its DLQ, one consumer, one table. */
function compliantTemplate() {
  return {
    Resources: {
      JobsQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          VisibilityTimeout: 180,
          MessageRetentionPeriod: 345600,
          RedrivePolicy: { deadLetterTargetArn: getAtt('JobsDlq'), maxReceiveCount: 5 },
        },
      },
      JobsDlq: {
        Type: 'AWS::SQS::Queue',
        Properties: { QueueName: 'svc-prod-jobs-dlq', MessageRetentionPeriod: 1209600 },
      },
      JobsDlqAlarm: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: getAtt('JobsDlq', 'QueueName') }],
          Statistic: 'Maximum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [{ Ref: 'AlarmTopic' }],
        },
      },
      AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: {} },
      StateTable: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        },
      },
      WorkerLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: { FunctionName: 'svc-prod-worker', Timeout: 20, Role: getAtt('WorkerRole') },
      },
      WorkerLogGroup: {
        Type: 'AWS::Logs::LogGroup',
        Properties: { LogGroupName: '/aws/lambda/svc-prod-worker', RetentionInDays: 30 },
      },
      WorkerEventSourceMappingSQSJobsQueue: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: getAtt('JobsQueue'),
          FunctionName: getAtt('WorkerLambdaFunction'),
          MaximumBatchingWindowInSeconds: 5,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      },
      WorkerRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'lambda.amazonaws.com' },
                Action: 'sts:AssumeRole',
              },
            ],
          },
          Policies: [{ PolicyName: 'worker', PolicyDocument: { Statement: workerStatements() } }],
        },
      },
    },
  } satisfies CfnTemplate;
}

function workerStatements(): Array<Record<string, unknown>> {
  return [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [sub(`${ownLogs}/aws/lambda/svc-prod-worker:*`)],
    },
    {
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      Resource: getAtt('JobsQueue'),
    },
    { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: [getAtt('StateTable')] },
    {
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:svc/prod/webhooks/*',
    },
    // A Deny may be as broad as it likes: it only takes rights away.
    { Effect: 'Deny', Action: '*', Resource: '*' },
  ];
}

type Template = ReturnType<typeof compliantTemplate>;
type Resources = Template['Resources'] & Record<string, CfnResource>;

/** A compliant template changed by `change`: each case below breaks exactly one thing. */
function broken(change: (resources: Resources) => void): CfnTemplate {
  const template = compliantTemplate();
  change(template.Resources as Resources);
  return template;
}

const statements = (r: Resources) => r.WorkerRole.Properties.Policies[0]?.PolicyDocument.Statement;
const allow = (r: Resources, statement: Record<string, unknown>) =>
  statements(r)?.push({ Effect: 'Allow', ...statement });

describe('deploy template rules', () => {
  it.each(Object.entries(deployTemplateRules))('"%s" passes a compliant template', (_, rule) => {
    expect(rule(compliantTemplate())).toEqual([]);
  });

  it('accepts a redrive policy written as a JSON string with a short-form GetAtt', () => {
    const template = broken((r) => {
      Object.assign(r.JobsQueue.Properties, {
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: { 'Fn::GetAtt': 'JobsDlq.Arn' },
          maxReceiveCount: '3',
        }),
      });
    });

    expect(everyQueueHasDeadLetterQueue(template)).toEqual([]);
    expect(everyDeadLetterQueueHasDepthAlarm(template)).toEqual([]);
  });

  // [what is broken, the rule that must catch it, the change, a part of the expected violation]
  const cases: Array<[string, TemplateRule, (r: Resources) => void, string]> = [
    [
      'a queue without a DLQ',
      everyQueueHasDeadLetterQueue,
      (r) => {
        r.Stray = { Type: 'AWS::SQS::Queue', Properties: {} };
      },
      'Stray: no RedrivePolicy',
    ],
    [
      'maxReceiveCount 2',
      everyQueueHasDeadLetterQueue,
      (r) => {
        r.JobsQueue.Properties.RedrivePolicy.maxReceiveCount = 2;
      },
      'maxReceiveCount 2 is below 3',
    ],
    [
      'a DLQ outside the template',
      everyQueueHasDeadLetterQueue,
      (r) => {
        Object.assign(r.JobsQueue.Properties.RedrivePolicy, {
          deadLetterTargetArn: 'arn:aws:sqs:us-east-1:123456789012:elsewhere',
        });
      },
      'not Fn::GetAtt of a queue in this template',
    ],
    [
      'a DLQ that keeps messages for less time than its source',
      everyQueueHasDeadLetterQueue,
      (r) => {
        r.JobsDlq.Properties.MessageRetentionPeriod = 345600;
      },
      'not longer than',
    ],
    [
      'an SQS mapping without ReportBatchItemFailures',
      everySqsEventReportsBatchItemFailures,
      (r) => {
        r.WorkerEventSourceMappingSQSJobsQueue.Properties.FunctionResponseTypes = [];
      },
      'WorkerEventSourceMappingSQSJobsQueue: FunctionResponseTypes',
    ],
    [
      'a batch of 500 without a batching window',
      largeSqsBatchesHaveBatchingWindow,
      (r) => {
        Object.assign(r.WorkerEventSourceMappingSQSJobsQueue.Properties, {
          BatchSize: 500,
          MaximumBatchingWindowInSeconds: 0,
        });
      },
      'BatchSize 500 needs MaximumBatchingWindowInSeconds of at least 1',
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
      'the shared framework role',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        r.IamRoleLambdaExecution = { ...r.WorkerRole };
        r.WorkerLambdaFunction.Properties.Role = getAtt('IamRoleLambdaExecution');
      },
      "the framework's shared role",
    ],
    [
      'two functions on one role',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        r.Other = { ...r.WorkerLambdaFunction };
      },
      'WorkerRole: shared by',
    ],
    [
      'a wildcard action',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        allow(r, { Action: 'sqs:*', Resource: getAtt('JobsQueue') });
      },
      'action "sqs:*"',
    ],
    [
      'a * resource',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        allow(r, { Action: 'sqs:SendMessage', Resource: '*' });
      },
      'resource is *',
    ],
    [
      'a wildcard region in an ARN',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        allow(r, { Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:*:123456789012:jobs' });
      },
      'has a wildcard',
    ],
    [
      'every table of an account',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        allow(r, {
          Action: 'dynamodb:GetItem',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
          Resource: sub('arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:*'),
        });
      },
      'names no resource',
    ],
    [
      'NotResource',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        allow(r, { Action: 'sqs:SendMessage', NotResource: getAtt('JobsQueue') });
      },
      'uses NotAction or NotResource',
    ],
    [
      "another function's log group",
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        allow(r, { Action: 'logs:PutLogEvents', Resource: sub(`${ownLogs}/aws/lambda/x:*`) });
      },
      'writes to log group /aws/lambda/x',
    ],
    [
      'a managed policy',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        Object.assign(r.WorkerRole.Properties, {
          ManagedPolicyArns: ['arn:aws:iam::aws:policy/x'],
        });
      },
      'has ManagedPolicyArns',
    ],
    [
      'a broad attached policy',
      everyFunctionHasItsOwnLeastPrivilegeRole,
      (r) => {
        r.Extra = {
          Type: 'AWS::IAM::Policy',
          Properties: {
            PolicyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
          },
        };
      },
      'Extra statement: action "*"',
    ],
    [
      'a provisioned table',
      everyTableIsOnDemandWithTtl,
      (r) => {
        r.StateTable.Properties.BillingMode = 'PROVISIONED';
      },
      'StateTable: not PAY_PER_REQUEST',
    ],
    [
      'a table without TTL',
      everyTableIsOnDemandWithTtl,
      (r) => {
        r.StateTable.Properties.TimeToLiveSpecification.Enabled = false;
      },
      'StateTable: TimeToLiveSpecification',
    ],
    [
      'a log group without retention',
      everyLogGroupHasRetention,
      (r) => {
        Reflect.deleteProperty(r.WorkerLogGroup.Properties, 'RetentionInDays');
      },
      'WorkerLogGroup: no RetentionInDays',
    ],
    [
      'a function without a declared log group',
      everyLogGroupHasRetention,
      (r) => {
        Reflect.deleteProperty(r, 'WorkerLogGroup');
      },
      'WorkerLambdaFunction: its log group is not declared',
    ],
    [
      'a DLQ without an alarm',
      everyDeadLetterQueueHasDepthAlarm,
      (r) => {
        Reflect.deleteProperty(r, 'JobsDlqAlarm');
      },
      'JobsDlq: no alarm',
    ],
    [
      'a depth alarm with no action',
      everyDeadLetterQueueHasDepthAlarm,
      (r) => {
        r.JobsDlqAlarm.Properties.AlarmActions = [];
      },
      'JobsDlq: no alarm',
    ],
    [
      'a depth alarm that waits for 5 messages',
      everyDeadLetterQueueHasDepthAlarm,
      (r) => {
        r.JobsDlqAlarm.Properties.Threshold = 5;
      },
      'JobsDlq: no alarm',
    ],
    [
      'an alarm on another queue',
      everyDeadLetterQueueHasDepthAlarm,
      (r) => {
        r.JobsDlqAlarm.Properties.Dimensions = [
          { Name: 'QueueName', Value: getAtt('JobsQueue', 'QueueName') },
        ];
      },
      'JobsDlq: no alarm',
    ],
  ];

  it.each(cases)('catches %s', (_, rule, change, expected) => {
    const violations = rule(broken(change));

    expect(violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});
