import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { tokenBucketUse } from '../../../../shared/rate-limit/token-bucket';

const NOW = 1_763_700_000_000;
const options = {
  client: new DynamoDBClient({}),
  tableName: 'state',
  name: 'email#postmark',
  ratePerSecond: 50,
  burst: 500,
  now: () => NOW,
};

describe('token bucket use, as the health probe reads it', () => {
  const documents = mockClient(DynamoDBDocumentClient);
  afterEach(() => documents.reset());
  afterAll(() => documents.restore());

  it('reads the bucket item by its key and is 0 % when no bucket exists yet (full)', async () => {
    documents.on(GetCommand).resolves({});

    expect(await tokenBucketUse(options)).toBe(0);
    expect(documents.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
      pk: 'bucket#email#postmark',
      sk: 'bucket',
    });
  });

  it('is 100 % for a bucket emptied just now', async () => {
    documents.on(GetCommand).resolves({ Item: { tokens: 0, updatedAt: NOW, version: 3 } });

    expect(await tokenBucketUse(options)).toBe(100);
  });

  it('counts the refill since the last grant: empty 5 s ago at 50/s is half full', async () => {
    documents.on(GetCommand).resolves({ Item: { tokens: 0, updatedAt: NOW - 5000, version: 3 } });

    expect(await tokenBucketUse(options)).toBe(50);
  });

  it('never reads more than the burst, so a long-quiet bucket is 0 %', async () => {
    documents
      .on(GetCommand)
      .resolves({ Item: { tokens: 10, updatedAt: NOW - 3_600_000, version: 3 } });

    expect(await tokenBucketUse(options)).toBe(0);
  });
});
