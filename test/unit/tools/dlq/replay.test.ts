import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { jobKey } from '../../../../shared/messages/email-metadata';
import { replayDeadLetters } from '../../../../tools/dlq/replay';

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

const sqsMock = mockClient(SQSClient);
const dynamoMock = mockClient(DynamoDBClient);
const documentMock = mockClient(DynamoDBDocumentClient);

/**
 * Mocks a DLQ holding one dead letter (received once, then nothing), and records each send to the
 * source queue and delete from the DLQ in `steps`, in order.
 */
function oneDeadLetter(message: Pick<Message, 'Body' | 'MessageAttributes'>) {
  const steps: string[] = [];
  sqsMock.reset();
  dynamoMock.reset();
  documentMock.reset();
  sqsMock
    .on(ReceiveMessageCommand)
    .resolvesOnce({
      Messages: [{ MessageId: 'dl-1', ReceiptHandle: 'rh-1', Attributes: {}, ...message }],
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
  return steps;
}

describe('dlq replay: the order of its steps per message', () => {
  let steps: string[];

  beforeEach(() => {
    steps = oneDeadLetter({
      Body: JSON.stringify({ id: 'job-1', workflow: 'campaign-send', input: {} }),
      MessageAttributes: { jobId: { DataType: 'String', StringValue: 'job-1' } },
    });
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
          recordFound: jest.fn(async () => 'done' as const),
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

describe('dlq replay: an ambiguous email job is searched for at the provider first', () => {
  const emailQueue = { ...queue, short: 'email-jobs', scope: 'email' as const };
  const DAY = 86_400_000;
  const NOW = 100 * DAY;
  let steps: string[];

  beforeEach(() => {
    steps = oneDeadLetter({
      Body: '{}',
      MessageAttributes: {
        jobId: { DataType: 'String', StringValue: 'job-1' },
        ambiguous: { DataType: 'String', StringValue: 'true' },
      },
    });
  });

  const replay = (callAgeMs: number, listed: string[], force = false) => {
    const ledger = {
      resetAttempts: jest.fn(async () => 'reset' as const),
      clear: jest.fn(async () => {}),
      get: jest.fn(async () => ({
        status: 'dead' as const,
        fingerprint: 'f',
        attempts: 8,
        calls: [{ ref: 'call-1', at: NOW - callAgeMs }],
      })),
      recordFound: jest.fn(async (_jobId: string, messageId: string) => {
        steps.push(`recorded sent ${messageId}`);
        return 'done' as const;
      }),
    };
    const search = jest.fn(async () => ({
      kind: 'listed' as const,
      messages: listed.map((id) => ({ jobKey: jobKey(id), messageId: `pm-${id}` })),
    }));
    const run = replayDeadLetters(
      {
        sqs: new SQSClient({ region: 'us-east-1' }),
        dynamoDb: new DynamoDBClient({ region: 'us-east-1' }),
        tableName: 'state',
        queue: emailQueue,
        ledger,
        reconciler: { search, retentionMs: 45 * DAY, now: () => NOW },
        progress: { write: () => true },
        confirm: async () => true,
      },
      { ...options, force, yes: force },
    );
    return { run, search, ledger };
  };

  it('found: recorded sent and removed from the DLQ, never sent again', async () => {
    const { run, search } = replay(DAY, ['job-1']);
    const summary = await run;
    expect(search).toHaveBeenCalledWith('call-1');
    expect(summary).toMatchObject({ replayed: 0, foundAtProvider: 1 });
    expect(steps).toEqual(['recorded sent pm-job-1', 'delete from the DLQ']);
  });

  it('not found: replayed (the batcher asks again before it sends)', async () => {
    const { run } = replay(DAY, ['another-job']);
    expect(await run).toMatchObject({ replayed: 1, foundAtProvider: 0 });
    expect(steps).toEqual(['send to the source queue', 'delete from the DLQ']);
  });

  it('a call older than the provider keeps messages: left in the DLQ, unsearched', async () => {
    const refused = replay(50 * DAY, []);
    expect(await refused.run).toMatchObject({ replayed: 0, refusedTooOld: 1 });
    expect(refused.search).not.toHaveBeenCalled();
    expect(steps).toEqual([]);
  });

  it('--force sends a job whose call is older than the retention (its ledger record cleared)', async () => {
    const forced = replay(50 * DAY, [], true);
    expect(await forced.run).toMatchObject({ replayed: 1, refusedTooOld: 0, cleared: 1 });
    expect(steps).toEqual(['send to the source queue', 'delete from the DLQ']);
  });
});
