import {
  type CfnSpec,
  loadCfnSpec,
  validateTemplateSchema,
} from '../../../helpers/template/cfn-schema';

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const layerArn = 'arn:aws:lambda:us-east-1:123456789012:layer:tools:1';

/**
 * A template CloudFormation accepts, using what the validator must read: intrinsics in every
 * position, Fn::If with AWS::NoValue, numeric strings, a custom resource, conditions and outputs.
 */
function validTemplate() {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { Stage: { Type: 'String' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
    Resources: {
      JobsQueue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
          QueueName: { 'Fn::Sub': 'svc-${Stage}-jobs' },
          VisibilityTimeout: '180',
          RedrivePolicy: { deadLetterTargetArn: getAtt('JobsDlq'), maxReceiveCount: 5 },
          Tags: [{ Key: 'app', Value: 'svc' }],
        },
      },
      JobsDlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1209600 } },
      StateTable: {
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        },
      },
      WorkerRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'lambda.amazonaws.com' },
                Action: 'sts:AssumeRole',
              },
            ],
          },
        },
      },
      WorkerLogGroup: {
        Type: 'AWS::Logs::LogGroup',
        Properties: { LogGroupName: '/aws/lambda/svc-worker', RetentionInDays: 30 },
      },
      WorkerLambdaFunction: {
        Type: 'AWS::Lambda::Function',
        DependsOn: ['WorkerLogGroup'],
        Properties: {
          Code: { ZipFile: 'exports.handler = async () => ({});' },
          Handler: 'index.handler',
          Runtime: 'nodejs22.x',
          Role: getAtt('WorkerRole'),
          Timeout: 20,
          Layers: { 'Fn::If': ['IsProd', [layerArn], { Ref: 'AWS::NoValue' }] },
          Environment: {
            Variables: { QUEUE_URL: { Ref: 'JobsQueue' }, TABLE: { Ref: 'StateTable' } },
          },
        },
      },
      WorkerMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: getAtt('JobsQueue'),
          FunctionName: getAtt('WorkerLambdaFunction'),
          BatchSize: 50,
          MaximumBatchingWindowInSeconds: 5,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      },
      Seed: {
        Type: 'Custom::Seed',
        Properties: { ServiceToken: getAtt('WorkerLambdaFunction'), Rows: [1, 2] },
      },
    },
    Outputs: {
      QueueUrl: { Value: { Ref: 'JobsQueue' }, Condition: 'IsProd' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      DlqArn: { Value: { 'Fn::Sub': '${JobsDlq.Arn} in ${AWS::Region}, ${!Literal}' } },
    },
  };
}

type Template = ReturnType<typeof validTemplate>;
type Loose = Record<string, Record<string, unknown>>;

/** The valid template changed by `change` (its resources, loosely typed to allow any damage). */
function broken(change: (resources: Loose, template: Template) => void): Template {
  const template = validTemplate();
  change(template.Resources as unknown as Loose, template);
  return template;
}

const propsOf = (r: Loose, id: string) => r[id]?.Properties as Record<string, unknown>;

describe('CloudFormation schema validation', () => {
  let spec: CfnSpec;

  beforeAll(() => {
    spec = loadCfnSpec();
  });

  it('passes a valid template', () => {
    expect(validateTemplateSchema(validTemplate(), spec)).toEqual([]);
  });

  // [what is broken, the change, a part of the expected problem]
  const cases: Array<[string, (r: Loose, t: Template) => void, string]> = [
    [
      'an unknown resource type',
      (r) => {
        Object.assign(r.JobsDlq ?? {}, { Type: 'AWS::SQS::Queeu' });
      },
      'JobsDlq: unknown resource type AWS::SQS::Queeu',
    ],
    [
      'an unknown property (a typo)',
      (r) => {
        Object.assign(propsOf(r, 'JobsDlq'), { VisibilityTimout: 60 });
      },
      'JobsDlq.Properties: unknown property VisibilityTimout of AWS::SQS::Queue (did you mean VisibilityTimeout?)',
    ],
    [
      'a missing required property',
      (r) => {
        Reflect.deleteProperty(propsOf(r, 'StateTable'), 'KeySchema');
      },
      'StateTable.Properties: missing required property KeySchema of AWS::DynamoDB::Table',
    ],
    [
      'a string where a list is required',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLambdaFunction'), { Layers: layerArn });
      },
      'WorkerLambdaFunction.Properties.Layers: expected list of string, got string',
    ],
    [
      'a Ref to a missing resource',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLambdaFunction'), {
          Environment: { Variables: { QUEUE_URL: { Ref: 'MissingQueue' } } },
        });
      },
      'WorkerLambdaFunction.Properties.Environment.Variables.QUEUE_URL: Ref to MissingQueue, which is not a resource',
    ],
    [
      'a GetAtt of an unknown attribute',
      (r) => {
        Object.assign(propsOf(r, 'WorkerMapping'), { EventSourceArn: getAtt('JobsQueue', 'Url') });
      },
      'Fn::GetAtt JobsQueue.Url: AWS::SQS::Queue has no attribute Url (it has Arn, QueueName, QueueUrl)',
    ],
    [
      'a GetAtt of a missing resource',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLambdaFunction'), { Role: getAtt('OtherRole') });
      },
      'Fn::GetAtt of OtherRole, which is not a resource in this template',
    ],
    [
      'a wrong type in a nested property type',
      (r) => {
        Object.assign(propsOf(r, 'StateTable'), {
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: 'yes' },
        });
      },
      'StateTable.Properties.TimeToLiveSpecification.Enabled: expected boolean, got string "yes"',
    ],
    [
      'a missing property in a list of nested types',
      (r) => {
        Object.assign(propsOf(r, 'StateTable'), { KeySchema: [{ AttributeName: 'pk' }] });
      },
      'StateTable.Properties.KeySchema[0]: missing required property KeyType',
    ],
    [
      'a Fn::Join where a list is required',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLambdaFunction'), {
          Layers: { 'Fn::Join': [',', [layerArn, layerArn]] },
        });
      },
      'Layers: expected list of string, got Fn::Join (string)',
    ],
    [
      'a wrong type in one branch of Fn::If',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLambdaFunction'), {
          Layers: { 'Fn::If': ['IsProd', [layerArn], layerArn] },
        });
      },
      'Layers[Fn::If 2]: expected list of string',
    ],
    [
      'a fractional integer',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLambdaFunction'), { Timeout: 2.5 });
      },
      'WorkerLambdaFunction.Properties.Timeout: expected integer, got number 2.5',
    ],
    [
      'a value outside the allowed ones',
      (r) => {
        Object.assign(propsOf(r, 'WorkerLogGroup'), { RetentionInDays: 31 });
      },
      'WorkerLogGroup.Properties.RetentionInDays: 31 is not one of 1, 3, 5, 7, 14, 30',
    ],
    [
      'a DependsOn on a missing resource',
      (r) => {
        Object.assign(r.WorkerLambdaFunction ?? {}, { DependsOn: 'WorkerLogGroups' });
      },
      'WorkerLambdaFunction.DependsOn: "WorkerLogGroups" is not another resource here',
    ],
    [
      'a Fn::Sub variable naming a missing resource',
      (r) => {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
        Object.assign(propsOf(r, 'JobsQueue'), { QueueName: { 'Fn::Sub': 'svc-${Stages}-jobs' } });
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      'JobsQueue.Properties.QueueName: Fn::Sub ${Stages}: Ref to Stages',
    ],
    [
      'an output under an undeclared condition',
      (_, t) => {
        Object.assign(t.Outputs.QueueUrl, { Condition: 'IsDev' });
      },
      'Outputs.QueueUrl: Condition "IsDev" is not in Conditions',
    ],
    [
      'a custom resource without its ServiceToken',
      (r) => {
        Reflect.deleteProperty(propsOf(r, 'Seed'), 'ServiceToken');
      },
      'Seed.Properties: missing required property ServiceToken',
    ],
    [
      'a misspelt resource attribute',
      (r) => {
        Object.assign(r.StateTable ?? {}, { DeletionPolicy: 'Keep', Propertes: {} });
      },
      'StateTable: unknown resource attribute Propertes',
    ],
  ];

  it.each(cases)('catches %s', (_, change, expected) => {
    const problems = validateTemplateSchema(broken(change), spec);

    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});
