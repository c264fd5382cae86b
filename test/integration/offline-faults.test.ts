import path from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type OfflineService, startOfflineService } from '../helpers/stack/offline-service';

// The fixture's handlers throw, outlive their timeout and fail at init with messages that stand for
// internals: none of that may reach the sender, and none of it may look like a delivery.
const INTERNALS = /internal detail|stackTrace|errorMessage|errorType|\.js:\d+/;

describe('serverless offline with local/offline/http-errors-plugin.js', () => {
  let service: OfflineService;

  beforeAll(async () => {
    service = await startOfflineService(path.resolve(__dirname, '../fixtures/offline-faults'));
  }, 90_000);
  afterAll(async () => {
    await service?.stop();
  });

  const post = (route: string, body = 'hello') =>
    fetch(`${service.http}/${route}`, {
      method: 'POST',
      body,
      signal: AbortSignal.timeout(15_000),
    });

  it.each([
    {
      failure: 'throws past the handler',
      route: 'throws',
      status: 500,
      message: 'Internal Server Error',
    },
    {
      failure: 'fails at init',
      route: 'fails-at-init',
      status: 500,
      message: 'Internal Server Error',
    },
    {
      failure: 'outlives its timeout',
      route: 'times-out',
      status: 503,
      message: 'Service Unavailable',
    },
  ])(
    'answers a function that $failure with $status as API Gateway does, revealing no internals',
    async ({ route, status, message }) => {
      const response = await post(route);
      const text = await response.text();

      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(text)).toEqual({ message });
      expect(text).not.toMatch(INTERNALS);
    },
  );

  it('still answers a working handler with its own status, headers and body', async () => {
    const response = await post('answers', 'a body');

    expect(response.status).toBe(201);
    expect(response.headers.get('x-fixture')).toBe('answers');
    expect(await response.json()).toEqual({ received: 'a body' });
  });

  it('logs the original error on the server side', async () => {
    const response = await post('throws');
    await response.text();

    // The log line can trail the response by a tick.
    const deadline = Date.now() + 5000;
    while (!service.output().includes('answered 500') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(service.output()).toMatch(
      /\(λ: throws\) failed: answered 500 as API Gateway would\. Error: internal detail: table/,
    );
  });

  it('prints invoke URLs on the Lambda API that answer with the function result', async () => {
    const printed = [...service.output().matchAll(/POST +(\S+\/invocations) +\(λ: ([\w-]+)\)/g)];
    const answersUrl = printed.find(([, , key]) => key === 'answers')?.[1];

    expect(printed.map(([, url]) => new URL(url as string).origin)).toEqual(
      Array(4).fill(service.lambda),
    );
    const response = await fetch(answersUrl as string, {
      method: 'POST',
      body: JSON.stringify({ body: 'invoked' }),
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      statusCode: 201,
      body: JSON.stringify({ received: 'invoked' }),
    });
  });

  it('leaves the Lambda API reporting a function error as Lambda does: 200 with FunctionError', async () => {
    const lambda = new LambdaClient({
      endpoint: service.lambda,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 15_000 },
    });
    try {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: 'offline-faults-test-throws', Payload: '{}' }),
      );

      expect(result.StatusCode).toBe(200);
      expect(result.FunctionError).toBe('Unhandled');
    } finally {
      lambda.destroy();
    }
  });
});
