/**
 * A small template that satisfies every deploy template rule, shaped like what `serverless package`
 * emits, and a way to break one thing in it: the unit tests of the rules start from here.
 */
import type { CfnResource, CfnTemplate } from './template-rules';

/** `{"Fn::GetAtt": [id, attribute]}`. */
export const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
/** `{"Fn::Sub": text}`. */
export const sub = (text: string) => ({ 'Fn::Sub': text });
/** The ARN prefix of this account's log groups, in Fn::Sub syntax. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
export const ownLogs = 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:';

/** A small template that satisfies every rule: one queue, its DLQ, one consumer, one table. */
export function compliantTemplate() {
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

/** The compliant template's resources, open to additions. */
export type Resources = ReturnType<typeof compliantTemplate>['Resources'] &
  Record<string, CfnResource>;

/** A compliant template changed by `change`: each test case breaks exactly one thing. */
export function broken(change: (resources: Resources) => void): CfnTemplate {
  const template = compliantTemplate();
  change(template.Resources as Resources);
  return template;
}
