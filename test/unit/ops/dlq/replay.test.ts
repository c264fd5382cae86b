import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { replayDeadLetters } from '../../../../ops/dlq/replay';

const queue = {
  short: 'workflow-jobs',
  scope: 'workflow' as const,
  name: 'suite-workflow-jobs',
  url: 'http://sqs.local/suite-workflow-jobs',
  dlqName: 'suite-workflow-jobs-dlq',
  dlqUrl: 'http://sqs.local/suite-workflow-jobs-dlq',
};

const options = {
  filter: {},
  ratePerSecond: 100,
  dryRun: false,
  force: false,
  yes: false,
  visibilitySeconds: 30,
};

describe('dlq replay: the order of its steps per message', () => {
  const sqsMock = mockClient(SQSClient);
  const dynamoMock = mockClient(DynamoDBClient);
  const documentMock = mockClient(DynamoDBDocumentClient);
  let steps: string[];

  beforeEach(() => {
    steps = [];
    sqsMock.reset();
    dynamoMock.reset();
    documentMock.reset();
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          {
            MessageId: 'dl-1',
            ReceiptHandle: 'rh-1',
            Body: JSON.stringify({ id: 'job-1', workflow: 'campaign-send', input: {} }),
            MessageAttributes: { jobId: { DataType: 'String', StringValue: 'job-1' } },
            Attributes: {},
          },
        ],
      })
      .resolves({ Messages: [] });
    sqsMock.on(SendMessageCommand).callsFake((input: { QueueUrl: string }) => {
      steps.push(`send to ${input.QueueUrl === queue.url ? 'the source queue' : input.QueueUrl}`);
      return { MessageId: 'new-1' };
    });
    sqsMock.on(DeleteMessageCommand).callsFake((input: { QueueUrl: string }) => {
      steps.push(`delete from ${input.QueueUrl === queue.dlqUrl ? 'the DLQ' : input.QueueUrl}`);
      return {};
    });
    sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    documentMock.on(DeleteCommand).resolves({});
    dynamoMock.resolves({});
  });

  it('resets the ledger, then sends to the source queue, then deletes from the DLQ', async () => {
    const sqs = new SQSClient({ region: 'us-east-1' });
    const dynamoDb = new DynamoDBClient({ region: 'us-east-1' });
    const summary = await replayDeadLetters(
      {
        sqs,
        dynamoDb,
        tableName: 'state',
        queue,
        ledger: {
          resetAttempts: jest.fn(async (jobId: string) => {
            steps.push(`reset ${jobId}`);
            return 'reset' as const;
          }),
          clear: jest.fn(async () => {}),
          get: jest.fn(async () => undefined),
        },
        progress: { write: () => true },
        confirm: async () => true,
      },
      options,
    );

    expect(summary.replayed).toBe(1);
    // A consumer may take the message the moment it is sent: its attempts must be reset by then,
    // and the DLQ copy goes only once the source queue holds the job.
    expect(steps).toEqual(['reset job-1', 'send to the source queue', 'delete from the DLQ']);
  });
});
