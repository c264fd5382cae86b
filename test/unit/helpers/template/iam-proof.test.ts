import { iamActionsOf, keptGrants } from '../../../helpers/template/iam-proof';

describe('iamActionsOf', () => {
  it('authorises batch commands as their single form', () => {
    expect(
      iamActionsOf({ service: 'sqs', command: 'SendMessageBatch', resources: ['queue:q'] }),
    ).toEqual(['sqs:SendMessage']);
    expect(
      iamActionsOf({ service: 'sqs', command: 'DeleteMessageBatch', resources: ['queue:q'] }),
    ).toEqual(['sqs:DeleteMessage']);
  });

  it('authorises a PartiQL statement by its verb', () => {
    expect(
      iamActionsOf({
        service: 'dynamodb',
        command: 'ExecuteStatement',
        resources: ['SELECT * FROM "state" WHERE pk = ?'],
      }),
    ).toEqual(['dynamodb:PartiQLSelect']);
    expect(
      iamActionsOf({
        service: 'dynamodb',
        command: 'ExecuteStatement',
        resources: ['update "state" SET n = ? WHERE pk = ?'],
      }),
    ).toEqual(['dynamodb:PartiQLUpdate']);
  });

  it('keeps every other command as <service>:<command>', () => {
    expect(iamActionsOf({ service: 'dynamodb', command: 'GetItem', resources: ['t'] })).toEqual([
      'dynamodb:GetItem',
    ]);
  });
});

describe('keptGrants', () => {
  const yaml = [
    'Resources:',
    '  SomeRole:',
    '    Type: AWS::IAM::Role',
    '              # Metrics for the status page.',
    '              # Kept without a recorded call (cloudwatch:GetMetricData): off on the local stage',
    '              - Sid: Metrics',
    '                Action:',
    '              # Kept without a recorded call (sqs:SendMessage): not above its own Sid',
    '                  - sqs:SendMessage',
    '              - Sid: Other',
    '  OtherRole:',
    '              # Kept without a recorded call (a:B, c:D): both',
    '              - Sid: Two',
  ].join('\n');

  it('reads the actions of a comment just above a statement, in its role', () => {
    expect(keptGrants(yaml)).toEqual([
      {
        role: 'SomeRole',
        sid: 'Metrics',
        action: 'cloudwatch:GetMetricData',
        reason: 'off on the local stage',
      },
      { role: 'OtherRole', sid: 'Two', action: 'a:B', reason: 'both' },
      { role: 'OtherRole', sid: 'Two', action: 'c:D', reason: 'both' },
    ]);
  });
});
