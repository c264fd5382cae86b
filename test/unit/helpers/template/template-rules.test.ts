import {
  deployTemplateRules,
  everyDeadLetterQueueHasDepthAlarm,
  everyFunctionHasItsOwnLeastPrivilegeRole,
  everyLogGroupHasRetention,
  everyQueueHasDeadLetterQueue,
  everyTableIsOnDemandWithTtl,
  type TemplateRule,
} from '../../../helpers/template/template-rules';
import {
  broken,
  compliantTemplate,
  getAtt,
  ownLogs,
  type Resources,
  sub,
} from '../../../helpers/template/template-rules-fixtures';

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
