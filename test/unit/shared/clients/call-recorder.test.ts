import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { callsOf, recordCalls } from '../../../../shared/clients/call-recorder';

// A closed loopback port: every call fails fast after the recorder has run.
const closed = {
  endpoint: 'http://127.0.0.1:9',
  region: 'us-east-1',
  maxAttempts: 1,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
};

describe('recordCalls', () => {
  let dir: string;
  let file: string;
  const before = process.env.AWS_LAMBDA_FUNCTION_NAME;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'calls-'));
    file = join(dir, 'calls.jsonl');
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'suite-prod-test';
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (before === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = before;
  });
  const lines = () =>
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));

  it('records the command, function and queue of an SQS call', async () => {
    const sqs = recordCalls(new SQSClient(closed), 'sqs', { AWS_CALL_RECORD_FILE: file });
    const queue = 'http://127.0.0.1:9/000000000000/jobs';
    await expect(
      sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queue, Entries: [{ Id: '1', MessageBody: 'x' }] }),
      ),
    ).rejects.toThrow();
    expect(lines()).toEqual([
      {
        function: 'suite-prod-test',
        service: 'sqs',
        command: 'SendMessageBatchCommand',
        resources: [queue],
      },
    ]);
  });

  it('records document client commands as the low-level command, with key names only', async () => {
    const base = recordCalls(new DynamoDBClient(closed), 'dynamodb', {
      AWS_CALL_RECORD_FILE: file,
    });
    const doc = DynamoDBDocumentClient.from(base);
    await expect(
      doc.send(new GetCommand({ TableName: 'state', Key: { pk: 'secret-value' } })),
    ).rejects.toThrow();
    const [call] = lines();
    expect(call).toMatchObject({ command: 'GetItemCommand', resources: ['state'], keys: ['pk'] });
    expect(JSON.stringify(call)).not.toContain('secret-value');
  });

  it('records a transaction as its actions, as IAM authorises each (there is no transaction action)', async () => {
    const base = recordCalls(new DynamoDBClient(closed), 'dynamodb', {
      AWS_CALL_RECORD_FILE: file,
    });
    const doc = DynamoDBDocumentClient.from(base);
    const update = {
      TableName: 'state',
      Key: { pk: 'job#1', sk: 'ledger' },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'sent' },
    };
    await expect(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: update },
            { ConditionCheck: { ...update, ConditionExpression: 'attribute_exists(pk)' } },
          ],
        }),
      ),
    ).rejects.toThrow();
    expect(lines()).toEqual([
      expect.objectContaining({
        command: 'UpdateItemCommand',
        resources: ['state'],
        keys: ['pk', 'sk'],
      }),
      expect.objectContaining({ command: 'ConditionCheckItemCommand', resources: ['state'] }),
    ]);
  });

  it('splits a read transaction into its reads, and leaves other commands whole', () => {
    const get = { TableName: 'state', Key: { pk: { S: 'a' } } };
    expect(
      callsOf('TransactGetItemsCommand', { TransactItems: [{ Get: get }, { Get: get }] }),
    ).toEqual([
      { command: 'GetItemCommand', input: get },
      { command: 'GetItemCommand', input: get },
    ]);
    expect(callsOf('GetItemCommand', get)).toEqual([{ command: 'GetItemCommand', input: get }]);
  });

  it('records a query of an index on the index, as IAM authorises it', async () => {
    const base = recordCalls(new DynamoDBClient(closed), 'dynamodb', {
      AWS_CALL_RECORD_FILE: file,
    });
    const doc = DynamoDBDocumentClient.from(base);
    await expect(
      doc.send(
        new QueryCommand({
          TableName: 'state',
          IndexName: 'byQueue',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'x' },
        }),
      ),
    ).rejects.toThrow();
    expect(lines()).toMatchObject([
      { command: 'QueryCommand', resources: ['state/index/byQueue'] },
    ]);
  });

  it("records a harness's client under the function it stands for, with the stack's names", async () => {
    const sqs = recordCalls(
      new SQSClient(closed),
      'sqs',
      { AWS_CALL_RECORD_FILE: file },
      { functionName: 'email-batcher', rename: (r) => r.replace('harness-q', 'stack-q') },
    );
    await expect(
      sqs.send(
        new SendMessageCommand({ QueueUrl: 'http://127.0.0.1:9/0/harness-q', MessageBody: 'x' }),
      ),
    ).rejects.toThrow();
    expect(lines()).toEqual([
      {
        function: 'email-batcher',
        service: 'sqs',
        command: 'SendMessageCommand',
        resources: ['http://127.0.0.1:9/0/stack-q'],
      },
    ]);
  });

  it('adds nothing when AWS_CALL_RECORD_FILE is not set', () => {
    const sqs = new SQSClient(closed);
    const count = sqs.middlewareStack.identify().length;
    recordCalls(sqs, 'sqs', {});
    expect(sqs.middlewareStack.identify()).toHaveLength(count);
  });
});
