import { readFileSync } from 'node:fs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localSecret } from '../helpers/ingest/ingest-harness';
import { httpEvent, sample, signed } from '../helpers/ingest/webhook-requests';
import { waitFor } from '../helpers/sqs/event-source-harness';
import { pause } from '../helpers/sqs/test-queues';
import { localClientOptions, localStack, queueUrl } from '../helpers/stack/local-stack';

jest.setTimeout(60_000);

describe("the local stack's Lambda invoke API", () => {
  const state = localStack();
  const lambdaEndpoint = process.env.LOCAL_LAMBDA_URL as string;
  const lambda = new LambdaClient({ ...localClientOptions(15_000), endpoint: lambdaEndpoint });
  afterAll(() => lambda.destroy());

  /** A fresh signed Stripe delivery as API Gateway would hand it to webhook-ingest. */
  const stripeDelivery = () => {
    const envelope = sample('stripe', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));
    return { eventId, event: httpEvent('stripe', request) };
  };

  /**
   * The workflow calls the sandbox engine received for this event: the workflow trigger consumes the
   * stack's workflow queue, so the job's arrival at the engine is what shows it was enqueued (bounded
   * wait, then every call so far, so a second trigger would show too).
   */
  const triggered = async (eventId: string) => {
    const calls = async () => {
      const response = await fetch(`${state.workflowSandbox}/sandbox/calls`, {
        signal: AbortSignal.timeout(5000),
      });
      const { calls: all } = (await response.json()) as { calls: { body: unknown }[] };
      return all.filter((call) => JSON.stringify(call.body).includes(eventId));
    };
    const deadline = Date.now() + 20_000;
    while ((await calls()).length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    return calls();
  };

  it('reports webhook-ingest by its deployed name with an invoke URL on the Lambda API', () => {
    const name = `connector-suite-${state.stage}-webhook-ingest`;

    expect(state.functions['webhook-ingest']).toEqual({
      name,
      invokeUrl: `${lambdaEndpoint}/2015-03-31/functions/${name}/invocations`,
    });
  });

  it("invokes webhook-ingest by that name through InvokeCommand and returns the function's answer", async () => {
    const { eventId, event } = stripeDelivery();
    const name = state.functions['webhook-ingest']?.name;

    const result = await lambda.send(
      new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event) }),
    );

    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    const answer = JSON.parse(Buffer.from(result.Payload ?? []).toString('utf8'));
    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ eventId, status: 'accepted', routes: 1 });
    expect(await triggered(eventId)).toHaveLength(1);
  });

  it("answers a POST of the event to the reported invoke URL with the function's answer", async () => {
    const { eventId, event } = stripeDelivery();

    const response = await fetch(state.functions['webhook-ingest']?.invokeUrl as string, {
      method: 'POST',
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(15_000),
    });

    expect(response.status).toBe(200);
    const answer = (await response.json()) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({ eventId, status: 'accepted' });
    expect(await triggered(eventId)).toHaveLength(1);
  });
});

describe('the local SQS event source after idle periods', () => {
  const state = localStack();
  const sqs = new SQSClient(localClientOptions(10_000));
  afterAll(() => sqs.destroy());

  /** The Lambda API's keep-alive timeout, as its server announces it (`Keep-Alive: timeout=N`). */
  const keepAliveSeconds = async () => {
    const name = state.functions['health-probe']?.name as string;
    const response = await fetch(state.functions['health-probe']?.invokeUrl as string, {
      method: 'POST',
      body: JSON.stringify({ source: 'aws.events', 'detail-type': 'Scheduled Event' }),
      signal: AbortSignal.timeout(15_000),
    });
    await response.text();
    const match = /timeout=(\d+)/.exec(response.headers.get('keep-alive') ?? '');
    if (!match) throw new Error(`the Lambda API announced no keep-alive timeout for ${name}`);
    return Number(match[1]);
  };

  /** The event source's journal lines (delivered, settled) for one SQS message, from the log file. */
  const journal = (messageId: string) =>
    readFileSync(state.logFile as string, 'utf8')
      .split('\n')
      .filter((line) => line.includes('local-sqs-event-source') && line.includes(messageId))
      .map(
        (line) => JSON.parse(line) as { message: string; receiveCount?: number; result?: string },
      );

  it('invokes every batch on its first receive when it idled for twice the keep-alive timeout before each', async () => {
    const idleMs = 2 * (await keepAliveSeconds()) * 1000;
    const jobsQueue = queueUrl('workflow-jobs');
    const run = `idle-${Date.now()}`;
    const messageIds: string[] = [];

    for (let index = 0; index < 2; index += 1) {
      if (index > 0) await pause(idleMs);
      const { MessageId } = await sqs.send(
        new SendMessageCommand({
          QueueUrl: jobsQueue,
          MessageBody: JSON.stringify({ id: `${run}-${index}`, workflow: 'ci', input: { run } }),
        }),
      );
      const messageId = MessageId as string;
      messageIds.push(messageId);
      await waitFor(`message ${messageId} deleted from its queue`, () =>
        journal(messageId).some((line) => line.result === 'deleted'),
      );
    }

    // A reset invocation fails its whole batch: the record is delivered again with a receive count of
    // 2 once its visibility timeout ends. Every job here was delivered once and deleted at once.
    for (const messageId of messageIds) {
      expect(
        journal(messageId).map((line) => [line.message, line.receiveCount ?? line.result]),
      ).toEqual([
        ['sqs message delivered', 1],
        ['sqs message settled', 'deleted'],
      ]);
    }
  });
});
