import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { drain, localSecret } from '../helpers/ingest-harness';
import { localClientOptions, localStack, queueUrl } from '../helpers/local-stack';
import { httpEvent, sample, signed } from '../helpers/webhook-requests';

describe("the local stack's Lambda invoke API", () => {
  const state = localStack();
  const lambdaEndpoint = process.env.LOCAL_LAMBDA_URL as string;
  const lambda = new LambdaClient({ ...localClientOptions(15_000), endpoint: lambdaEndpoint });
  const sqs = new SQSClient(localClientOptions());
  afterAll(() => {
    lambda.destroy();
    sqs.destroy();
  });

  /** A fresh signed Stripe delivery as API Gateway would hand it to webhook-ingest. */
  const stripeDelivery = () => {
    const envelope = sample('stripe', { fresh: true });
    const eventId = (envelope.body as { id: string }).id;
    const request = signed({ scheme: 'stripe' }, envelope, localSecret('stripe'));
    return { eventId, event: httpEvent('stripe', request) };
  };

  const enqueued = async (eventId: string) =>
    (await drain(sqs, queueUrl('workflow-jobs'))).filter((m) => m.Body?.includes(eventId));

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
    expect(await enqueued(eventId)).toHaveLength(1);
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
    expect(await enqueued(eventId)).toHaveLength(1);
  });
});
