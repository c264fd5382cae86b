import {
  type CancellationReason,
  DynamoDBClient,
  GetItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { powertoolsDedupe } from '../../../../functions/webhook-ingest/dedupe-store';
import type { Accepted } from '../../../../functions/webhook-ingest/ingest';
import {
  DeliveryInProgressError,
  DependencyError,
  RateLimitedError,
} from '../../../../shared/errors';
import { FixedWindowCeiling } from '../../../../shared/rate-limit/fixed-window-ceiling';
import { lambdaContext } from '../../../helpers/webhook-requests';

const NOW_MS = 1_763_700_000_000;
const accepted: Accepted = { eventId: 'evt_1', routes: 1, status: 'accepted' };
const slot = { key: 'stripe', limitPerSecond: 10 };

/** DynamoDB cancelling a transaction, one reason per item (claim, then ceiling slot). */
const cancelled = (...reasons: CancellationReason[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons,
  });

function setup() {
  const client = new DynamoDBClient({ region: 'eu-west-1' });
  const dynamoDb = mockClient(client);
  dynamoDb.on(UpdateItemCommand).resolves({});
  const ceiling = new FixedWindowCeiling({
    client,
    tableName: 'state',
    shards: 1,
    now: () => NOW_MS,
  });
  const dedupe = powertoolsDedupe(
    { tableName: 'idempotency', expiresAfterSeconds: 3600, inProgressRetryAfterSeconds: 2 },
    client,
    ceiling,
  );
  dedupe.register(lambdaContext());
  const transactions = () =>
    dynamoDb
      .commandCalls(TransactWriteItemsCommand)
      .map((call) => call.args[0].input as TransactWriteItemsCommandInput);
  return { dynamoDb, store: dedupe.store, transactions };
}

describe('dedupe claim with the abuse-ceiling slot', () => {
  afterEach(() => jest.restoreAllMocks());

  it('sends the claim and the slot as one transaction, then marks completion', async () => {
    const { dynamoDb, store, transactions } = setup();
    dynamoDb.on(TransactWriteItemsCommand).resolves({});

    const outcome = await store.once('stripe:evt_1', async () => accepted, slot);

    expect(outcome).toEqual({ result: accepted, performed: true });
    const [claim, ceilingSlot] = transactions()[0]?.TransactItems ?? [];
    expect(claim?.Put?.TableName).toBe('idempotency');
    expect(claim?.Put?.Item?.status).toEqual({ S: 'INPROGRESS' });
    expect(claim?.Put?.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    expect(ceilingSlot?.Update?.Key?.pk).toEqual({ S: 'ceiling#stripe#1763700000#0' });
    expect(dynamoDb.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('answers a duplicate from the record the cancelled claim returned, without reading it', async () => {
    const { dynamoDb, store } = setup();
    dynamoDb.on(TransactWriteItemsCommand).rejects(
      cancelled(
        {
          Code: 'ConditionalCheckFailed',
          Item: {
            id: { S: 'webhook-ingest#x' },
            status: { S: 'COMPLETED' },
            expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
            data: { M: { eventId: { S: 'evt_1' }, routes: { N: '1' }, status: { S: 'accepted' } } },
          },
        },
        { Code: 'None' },
      ),
    );
    const work = jest.fn(async () => accepted);

    const outcome = await store.once('stripe:evt_1', work, slot);

    expect(outcome).toEqual({ result: accepted, performed: false });
    expect(work).not.toHaveBeenCalled();
    expect(dynamoDb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('answers a duplicate still in progress with 409', async () => {
    const { dynamoDb, store } = setup();
    dynamoDb.on(TransactWriteItemsCommand).rejects(
      cancelled(
        {
          Code: 'ConditionalCheckFailed',
          Item: {
            id: { S: 'webhook-ingest#x' },
            status: { S: 'INPROGRESS' },
            expiration: { N: String(Math.floor(Date.now() / 1000) + 3600) },
            in_progress_expiration: { N: String(Date.now() + 60_000) },
          },
        },
        { Code: 'None' },
      ),
    );

    await expect(store.once('stripe:evt_1', async () => accepted, slot)).rejects.toBeInstanceOf(
      DeliveryInProgressError,
    );
  });

  it('answers 429 when only the slot failed, and does no work', async () => {
    const { dynamoDb, store } = setup();
    dynamoDb
      .on(TransactWriteItemsCommand)
      .rejects(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' }));
    const work = jest.fn(async () => accepted);

    const refused = store.once('stripe:evt_1', work, slot);

    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    await expect(refused).rejects.toMatchObject({ headers: { 'Retry-After': '1' } });
    expect(work).not.toHaveBeenCalled();
  });

  it('retries a transaction cancelled by a conflict on the hot counter', async () => {
    const { dynamoDb, store, transactions } = setup();
    dynamoDb
      .on(TransactWriteItemsCommand)
      .rejectsOnce(cancelled({ Code: 'None' }, { Code: 'TransactionConflict' }))
      .rejectsOnce(cancelled({ Code: 'TransactionConflict' }, { Code: 'None' }))
      .resolves({});

    const outcome = await store.once('stripe:evt_1', async () => accepted, slot);

    expect(outcome.performed).toBe(true);
    expect(transactions()).toHaveLength(3);
  });

  it('answers 503 when conflicts persist, with nothing claimed', async () => {
    const { dynamoDb, store, transactions } = setup();
    dynamoDb
      .on(TransactWriteItemsCommand)
      .rejects(cancelled({ Code: 'None' }, { Code: 'TransactionConflict' }));

    const failed = store.once('stripe:evt_1', async () => accepted, slot);

    await expect(failed).rejects.toBeInstanceOf(DependencyError);
    expect(transactions()).toHaveLength(5);
    expect(dynamoDb.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });
});
