// The capacity simulation's in-memory AWS (bench/ingest/simulated-aws.js): its figures are only worth
// something if it honours the conditional writes the ingest makes and counts what it is sent. Checked
// with the production dedupe (Powertools Idempotency) and abuse ceiling on top of it, and directly.
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { powertoolsDedupe } from '../../../../functions/webhook-ingest/dedupe-store';
import type { Accepted } from '../../../../functions/webhook-ingest/ingest';
import { DeliveryInProgressError } from '../../../../shared/errors';
import { FixedWindowCeiling } from '../../../../shared/rate-limit/fixed-window-ceiling';
import { lambdaContext } from '../../../helpers/ingest/webhook-requests';

type Count = {
  service: string;
  resource: string;
  key: string;
  second: number;
  writes: number;
  writeUnits: number;
  failedConditions: number;
  reads: number;
  messages: number;
};
const { simulatedAws, evaluateCondition } = require('../../../../bench/ingest/simulated-aws') as {
  simulatedAws: (options: {
    now: () => number;
    tables: Record<string, string[]>;
    secrets?: Record<string, string>;
  }) => {
    clients: () => {
      dynamoDb: DynamoDBClient;
      sqs: SQSClient;
      secretsManager: SecretsManagerClient;
    };
    counts: () => Count[];
    item: (
      table: string,
      key: Record<string, unknown>,
    ) => Record<string, AttributeValue> | undefined;
    items: (table: string) => Record<string, AttributeValue>[];
  };
  evaluateCondition: (
    expression: string,
    item: Record<string, AttributeValue> | undefined,
    names?: Record<string, string>,
    values?: Record<string, AttributeValue>,
  ) => boolean;
};

const START = 1_800_000_000_000;

function setup(secrets?: Record<string, string>) {
  let now = START;
  const aws = simulatedAws({
    now: () => now,
    tables: { Idempotency: ['id'], State: ['pk', 'sk'] },
    ...(secrets ? { secrets } : {}),
  });
  return {
    aws,
    clients: aws.clients(),
    at: (ms: number) => {
      now = ms;
    },
    countsOf: (service: string) => aws.counts().filter((c) => c.service === service),
  };
}

/** The production dedupe, registered with an invocation as the wiring does. */
function dedupeOn(client: unknown) {
  const dedupe = powertoolsDedupe(
    { tableName: 'Idempotency', expiresAfterSeconds: 3600, inProgressRetryAfterSeconds: 2 },
    client as never,
  );
  dedupe.register(lambdaContext());
  return dedupe;
}

const accepted = (eventId: string): Accepted => ({ eventId, routes: 1, status: 'accepted' });

describe('simulated AWS for the capacity simulation', () => {
  it('runs the production dedupe once per key: the claim is conditional, duplicates get the stored answer', async () => {
    const { aws, clients, countsOf } = setup();
    const dedupe = dedupeOn(clients.dynamoDb);
    const work = jest.fn(async () => accepted('evt_1'));

    const first = await dedupe.store.once('src:evt_1', work);
    const second = await dedupe.store.once('src:evt_1', work);

    expect(first).toEqual({ result: accepted('evt_1'), performed: true });
    expect(second).toEqual({ result: accepted('evt_1'), performed: false });
    expect(work).toHaveBeenCalledTimes(1);
    expect(aws.items('Idempotency')).toHaveLength(1);
    expect(aws.items('Idempotency')[0]?.status).toEqual({ S: 'COMPLETED' });
    // Claim, completion, and the duplicate's refused claim: 3 writes on one key in one second.
    const [record] = countsOf('dynamodb');
    expect(countsOf('dynamodb')).toHaveLength(1);
    expect(record).toMatchObject({
      writes: 3,
      failedConditions: 1,
      reads: 0,
      second: START / 1000,
    });
  });

  it('lets exactly one of two concurrent claims of a key do the work; the other is told it is in flight', async () => {
    const { clients } = setup();
    const dedupe = dedupeOn(clients.dynamoDb);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const work = jest.fn(async () => {
      await gate;
      return accepted('evt_2');
    });

    const first = dedupe.store.once('src:evt_2', work);
    const second = dedupe.store.once('src:evt_2', work);
    await expect(second).rejects.toBeInstanceOf(DeliveryInProgressError);
    release();

    await expect(first).resolves.toEqual({ result: accepted('evt_2'), performed: true });
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('deletes the claim when the work fails, so a retry does the work', async () => {
    const { aws, clients, countsOf } = setup();
    const dedupe = dedupeOn(clients.dynamoDb);

    await expect(
      dedupe.store.once('src:evt_3', async () => {
        throw new Error('over the ceiling');
      }),
    ).rejects.toThrow('over the ceiling');
    expect(aws.items('Idempotency')).toHaveLength(0);

    await expect(dedupe.store.once('src:evt_3', async () => accepted('evt_3'))).resolves.toEqual({
      result: accepted('evt_3'),
      performed: true,
    });
    // Claim, delete, claim, completion.
    expect(countsOf('dynamodb')[0]).toMatchObject({ writes: 4, failedConditions: 0 });
  });

  it('honours the ceiling ADD condition per counter and counts refused writes, per virtual second', async () => {
    const { aws, clients, at, countsOf } = setup();
    let now = START;
    const ceiling = new FixedWindowCeiling({
      client: clients.dynamoDb,
      tableName: 'State',
      shards: 1,
      now: () => now,
    });

    const first = [];
    for (let i = 0; i < 5; i += 1) first.push((await ceiling.take('src', 3)).allowed);
    now = START + 1000;
    at(now);
    const next = (await ceiling.take('src', 3)).allowed;

    expect(first).toEqual([true, true, true, false, false]);
    expect(next).toBe(true);
    expect(
      aws.item('State', { pk: { S: `ceiling#src#${START / 1000}#0` }, sk: { S: 'window' } }),
    ).toMatchObject({ count: { N: '3' }, expiresAt: { N: String(START / 1000 + 120) } });
    const counts = countsOf('dynamodb').map((c) => [c.second, c.writes, c.failedConditions]);
    // The 4th request finds the counter full (a refused write, charged); the 5th is refused by the
    // container's memory of full shards, with no write at all.
    expect(counts).toEqual([
      [START / 1000, 4, 1],
      [START / 1000 + 1, 1, 0],
    ]);
  });

  it('evaluates the expressions the ingest sends as DynamoDB does', () => {
    const claim =
      'attribute_not_exists(#id) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)';
    const names = {
      '#id': 'id',
      '#expiry': 'expiration',
      '#status': 'status',
      '#in_progress_expiry': 'in_progress_expiration',
    };
    const values = {
      ':now': { N: '100' },
      ':now_in_millis': { N: '100000' },
      ':inprogress': { S: 'INPROGRESS' },
    };
    const record = (status: string, expiry: number, inProgressExpiry?: number) => ({
      id: { S: 'k' },
      status: { S: status },
      expiration: { N: String(expiry) },
      ...(inProgressExpiry === undefined
        ? {}
        : { in_progress_expiration: { N: String(inProgressExpiry) } }),
    });

    expect(evaluateCondition(claim, undefined, names, values)).toBe(true);
    expect(evaluateCondition(claim, record('COMPLETED', 200), names, values)).toBe(false);
    expect(evaluateCondition(claim, record('COMPLETED', 99), names, values)).toBe(true);
    expect(evaluateCondition(claim, record('INPROGRESS', 200, 100001), names, values)).toBe(false);
    expect(evaluateCondition(claim, record('INPROGRESS', 200, 99999), names, values)).toBe(true);
    expect(evaluateCondition(claim, record('INPROGRESS', 200), names, values)).toBe(false);
    // Numbers compare as numbers, not as text.
    expect(
      evaluateCondition('#n < :v', { n: { N: '9' } }, { '#n': 'n' }, { ':v': { N: '10' } }),
    ).toBe(true);
    expect(evaluateCondition('NOT attribute_exists(n)', {}, {}, {})).toBe(true);
  });

  it('fails loudly on what it does not simulate, so a change in the ingest cannot be mis-counted', async () => {
    const { clients } = setup();

    await expect(clients.dynamoDb.send(new QueryCommand({ TableName: 'State' }))).rejects.toThrow(
      'QueryCommand is not simulated',
    );
    await expect(
      clients.dynamoDb.send(
        new PutItemCommand({
          TableName: 'State',
          Item: { pk: { S: 'a' }, sk: { S: 'b' } },
          ConditionExpression: 'begins_with(pk, :p)',
          ExpressionAttributeValues: { ':p': { S: 'a' } },
        }),
      ),
    ).rejects.toThrow('unsupported function begins_with');
    await expect(
      clients.dynamoDb.send(new GetItemCommand({ TableName: 'Nope', Key: { id: { S: 'x' } } })),
    ).rejects.toThrow('no table Nope');
  });

  it('applies SET, ADD, REMOVE and if_not_exists, returns the old item on a refused condition, and deletes', async () => {
    const { aws, clients, countsOf } = setup();
    const key = { pk: { S: 'p' }, sk: { S: 's' } };
    const update = (expression: string, values: Record<string, unknown>) =>
      clients.dynamoDb.send(
        new UpdateItemCommand({
          TableName: 'State',
          Key: key,
          UpdateExpression: expression,
          ExpressionAttributeValues: values as never,
          ReturnValues: 'ALL_NEW',
        }),
      );

    await update('SET a = if_not_exists(a, :one), b = :one ADD c :two', {
      ':one': { N: '1' },
      ':two': { N: '2' },
    });
    const after = await update(
      'SET a = if_not_exists(a, :five), b = b + :five ADD c :two REMOVE d',
      {
        ':five': { N: '5' },
        ':two': { N: '2' },
      },
    );
    expect(after.Attributes).toEqual({ ...key, a: { N: '1' }, b: { N: '6' }, c: { N: '4' } });

    const refused = await clients.dynamoDb
      .send(
        new PutItemCommand({
          TableName: 'State',
          Item: { ...key, a: { N: '9' } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect((refused as ConditionalCheckFailedException).Item).toEqual(after.Attributes);

    await clients.dynamoDb.send(new DeleteItemCommand({ TableName: 'State', Key: key }));
    expect(aws.item('State', key)).toBeUndefined();
    expect(
      (await clients.dynamoDb.send(new GetItemCommand({ TableName: 'State', Key: key }))).Item,
    ).toBeUndefined();
    expect(countsOf('dynamodb')[0]).toMatchObject({ writes: 4, failedConditions: 1, reads: 1 });
  });

  it('counts SQS messages and calls, and Secrets Manager reads, per virtual second', async () => {
    const { clients, at, countsOf } = setup({ 'sim/s': '{"current":"x"}' });
    const queueUrl = 'https://sqs.example/q';
    const batch = (n: number) =>
      clients.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: n }, (_, i) => ({ Id: String(i), MessageBody: 'b' })),
        }),
      );

    const sent = await batch(3);
    at(START + 1500);
    await batch(2);
    const secret = await clients.secretsManager.send(
      new GetSecretValueCommand({ SecretId: 'sim/s' }),
    );

    expect(sent.Successful?.map((entry) => entry.Id)).toEqual(['0', '1', '2']);
    expect(new Set(sent.Successful?.map((entry) => entry.MessageId)).size).toBe(3);
    expect(countsOf('sqs').map((c) => [c.second, c.reads, c.messages])).toEqual([
      [START / 1000, 1, 3],
      [START / 1000 + 1, 1, 2],
    ]);
    expect(secret.SecretString).toBe('{"current":"x"}');
    expect(countsOf('secretsmanager')).toMatchObject([{ reads: 1, second: START / 1000 + 1 }]);
    await expect(
      clients.secretsManager.send(new GetSecretValueCommand({ SecretId: 'sim/missing' })),
    ).rejects.toThrow('no secret sim/missing');
  });
});
