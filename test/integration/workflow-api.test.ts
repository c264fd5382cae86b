import { randomUUID } from 'node:crypto';
import { URL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadWorkflowApiConfig } from '../../functions/workflow-api/config';
import { buildWorkflowApi } from '../../functions/workflow-api/wiring';
import { loadTimeoutSettings } from '../../shared/clients/options';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { lambdaContext } from '../helpers/ingest/webhook-requests';
import { localStack, productionClientOptions, tableName } from '../helpers/stack/local-stack';
import { queuesStandFor, recordedFor, stackSecretsPrefix } from '../helpers/stack/recorded-clients';
import { TcpProxy } from '../helpers/stack/tcp-proxy';
import { waitFor } from '../helpers/wait';
import { TEST_REGISTRY, WorkflowHarness } from '../helpers/workflow/workflow-harness';

const KEY = `wf-key-${randomUUID()}`;

/**
 * The workflow API's clients, recorded as its calls (issue 21): the harness's queue and secret prefix
 * stand for the stack's workflow queue and secrets prefix.
 */
function apiClients(
  harness: WorkflowHarness,
  clients: { sqs: SQSClient; dynamoDb: DynamoDBClient; secretsManager: SecretsManagerClient },
) {
  return {
    sqs: recordedFor('workflow-api', 'sqs', clients.sqs, () =>
      queuesStandFor([[harness.queueUrl, 'workflow-jobs']]),
    ),
    dynamoDb: recordedFor('workflow-api', 'dynamodb', clients.dynamoDb),
    secretsManager: recordedFor('workflow-api', 'secretsmanager', clients.secretsManager, () => ({
      [`test-${harness.id}/`]: `${stackSecretsPrefix()}/`,
    })),
  };
}

describe('POST /workflows/{name} against the local servers and a sandbox engine', () => {
  const state = localStack();
  const harness = new WorkflowHarness();
  let api: ReturnType<typeof buildWorkflowApi>;
  let ledger: JobLedger;

  beforeAll(async () => {
    await harness.open();
    await harness.secretsManager.send(
      new CreateSecretCommand({
        Name: `test-${harness.id}/api-keys/workflows`,
        SecretString: JSON.stringify({ current: KEY }),
      }),
    );
    const trigger = harness.config();
    const config = loadWorkflowApiConfig({
      SECRETS_PREFIX: `test-${harness.id}`,
      SECRETS_REFRESH_INTERVAL_SECONDS: '0',
      STATE_TABLE: tableName('state'),
      WORKFLOW_JOBS_QUEUE_URL: harness.queueUrl,
      WORKFLOW_API_URL: harness.sandbox.url,
      WORKFLOW_ENGINE_NAME: trigger.engineName,
      WORKFLOW_DIRECT_TIMEOUT_MS: '500',
      WORKFLOW_BREAKER_MIN_CALLS: '4',
      WORKFLOW_BREAKER_COOLDOWN_SECONDS: '3',
    });
    api = buildWorkflowApi(
      config,
      apiClients(harness, {
        sqs: new SQSClient(productionClientOptions(state.sqs)),
        dynamoDb: new DynamoDBClient(productionClientOptions(state.dynamodb)),
        secretsManager: new SecretsManagerClient(productionClientOptions(state.secretsManager)),
      }),
      harness.silent,
      { addMetric: () => {}, publishStoredMetrics: () => {} },
      loadTimeoutSettings({}),
      { registry: TEST_REGISTRY },
    );
    ledger = new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'workflow',
      keepSeconds: 3600,
      now: Date.now,
    });
  });

  afterAll(() => harness.close());

  afterEach(async () => {
    harness.sandbox.configure({ alwaysStatus: null });
    await harness.stopTriggers();
  });

  async function post(name: string, body: unknown, headers: Record<string, string> = {}) {
    const event = {
      version: '2.0',
      routeKey: 'POST /workflows/{name}',
      rawPath: `/workflows/${name}`,
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers },
      pathParameters: { name },
      isBase64Encoded: false,
      body: JSON.stringify(body),
      requestContext: { http: { method: 'POST' }, requestId: randomUUID() },
    } as unknown as APIGatewayProxyEventV2;
    const response = (await api(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    return { status: response.statusCode, body: JSON.parse(String(response.body)) };
  }

  it('answers 200 with the engine execution id and records the job as triggered', async () => {
    const answer = await post('campaign-send', { campaignId: 'c-1' });
    expect(answer.status).toBe(200);
    const { jobId, executionId } = answer.body;
    expect(jobId).toMatch(/^api:campaign-send:/);
    expect(executionId).toEqual(expect.any(String));
    const calls = harness.callsFor(jobId);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.body).toMatchObject({
      campaignId: 'c-1',
      _metadata: { jobId, source: 'api' },
    });
    expect(await ledger.get(jobId)).toMatchObject({ status: 'sent', messageId: executionId });
  });

  it('answers 401 without a key or with a wrong one, and calls nothing', async () => {
    const before = harness.sandbox.calls().length;
    expect((await post('campaign-send', {}, { 'x-api-key': '' })).status).toBe(401);
    expect((await post('campaign-send', {}, { 'x-api-key': 'wrong' })).status).toBe(401);
    expect(
      (await post('campaign-send', {}, { 'x-api-key': '', authorization: `Bearer ${KEY}` })).status,
    ).toBe(200);
    expect(harness.sandbox.calls().length).toBe(before + 1);
  });

  it('triggers once for a repeated Idempotency-Key, and refuses the key with another input', async () => {
    const key = { 'idempotency-key': `order-${randomUUID()}` };
    const first = await post('data-export', { format: 'csv' }, key);
    const again = await post('data-export', { format: 'csv' }, key);
    expect(first.status).toBe(200);
    expect(again).toEqual(first);
    expect(harness.callsFor(first.body.jobId)).toHaveLength(1);
    const other = await post('data-export', { format: 'xml' }, key);
    expect(other.status).toBe(422);
    expect(harness.callsFor(first.body.jobId)).toHaveLength(1);
  });

  it('answers 202 when the engine fails, and the trigger triggers the job once later', async () => {
    harness.sandbox.configure({ alwaysStatus: 500 });
    const answer = await post('campaign-send', { campaignId: 'c-down' });
    expect(answer).toMatchObject({ status: 202, body: { queued: true } });
    const { jobId } = answer.body;
    harness.sandbox.configure({ alwaysStatus: null });
    await harness.start();
    await waitFor(
      'the job marked sent',
      async () => (await ledger.get(jobId))?.status === 'sent',
      20_000,
      100,
    );
    await harness.quiet([jobId]);
    const calls = harness.callsFor(jobId);
    // The failed direct call and the trigger's successful one, with the same Idempotency-Key.
    expect(calls.map((call) => call.status)).toEqual([500, 200]);
    const executions = harness.sandbox.executions().filter((e) => e.idempotencyKey === jobId);
    expect(executions).toHaveLength(1);
  });

  it('answers 202 within its deadline when the engine hangs, and the retry carries the same key', async () => {
    harness.sandbox.fault({ hang: 'before', hangMs: 10_000 });
    const answer = await post('campaign-send', { campaignId: 'c-hang' });
    expect(answer.status).toBe(202);
    const { jobId } = answer.body;
    // Cut at the direct timeout (500 ms here) after the request was sent: an ambiguous attempt.
    expect(await ledger.get(jobId)).toMatchObject({
      status: 'unknown',
      lastError: 'timeout after 500 ms',
    });
    await harness.start();
    await waitFor(
      'the job marked sent',
      async () => (await ledger.get(jobId))?.status === 'sent',
      20_000,
      100,
    );
    await harness.quiet([jobId]);
    expect(harness.sandbox.executions().filter((e) => e.idempotencyKey === jobId)).toHaveLength(1);
  });
});

describe('POST /workflows/{name} when a dependency hangs', () => {
  const state = localStack();
  const harness = new WorkflowHarness();
  const proxyTo = (endpoint: string) => {
    const url = new URL(endpoint);
    return new TcpProxy(url.hostname, Number(url.port));
  };
  const sqsProxy = proxyTo(state.sqs);
  const secretsProxy = proxyTo(state.secretsManager);
  /** DynamoDB Local frozen with SIGSTOP: connections open, nothing ever answers. */
  const dynamoDb = {
    hang: () => process.kill(state.dynamoDbPid, 'SIGSTOP'),
    resume: () => process.kill(state.dynamoDbPid, 'SIGCONT'),
  };

  beforeAll(async () => {
    await Promise.all([harness.open(), sqsProxy.start(), secretsProxy.start()]);
    await harness.secretsManager.send(
      new CreateSecretCommand({
        Name: `test-${harness.id}/api-keys/workflows`,
        SecretString: JSON.stringify({ current: KEY }),
      }),
    );
  });
  afterAll(async () => {
    await Promise.all([sqsProxy.stop(), secretsProxy.stop()]);
    await harness.close();
  });
  afterEach(async () => {
    harness.sandbox.configure({ alwaysStatus: null });
    await harness.stopTriggers();
  });

  /** The API as its handler builds it (production client timeouts), with an engine of its own. */
  function apiThroughProxies(engine: string) {
    const config = loadWorkflowApiConfig({
      SECRETS_PREFIX: `test-${harness.id}`,
      STATE_TABLE: tableName('state'),
      WORKFLOW_JOBS_QUEUE_URL: harness.queueUrl,
      WORKFLOW_API_URL: harness.sandbox.url,
      WORKFLOW_ENGINE_NAME: `test-${harness.id}-${engine}`,
      WORKFLOW_DIRECT_TIMEOUT_MS: '500',
    });
    const handler = buildWorkflowApi(
      config,
      apiClients(harness, {
        sqs: new SQSClient(productionClientOptions(sqsProxy.url)),
        dynamoDb: new DynamoDBClient(productionClientOptions(state.dynamodb)),
        secretsManager: new SecretsManagerClient(productionClientOptions(secretsProxy.url)),
      }),
      harness.silent,
      { addMetric: () => {}, publishStoredMetrics: () => {} },
      loadTimeoutSettings({}),
      { registry: TEST_REGISTRY },
    );
    return async (idempotencyKey: string) => {
      const event = {
        version: '2.0',
        rawPath: '/workflows/campaign-send',
        headers: { 'x-api-key': KEY, 'idempotency-key': idempotencyKey },
        pathParameters: { name: 'campaign-send' },
        isBase64Encoded: false,
        body: '{"campaignId": "c-hang"}',
        requestContext: { http: { method: 'POST' }, requestId: randomUUID() },
      } as unknown as APIGatewayProxyEventV2;
      return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    };
  }

  it.each([
    ['DynamoDB (frozen with SIGSTOP)', 'dynamodb', dynamoDb],
    ['SQS (a proxy that stops answering)', 'sqs', sqsProxy],
    ['Secrets Manager (a proxy that stops answering)', 'secrets', secretsProxy],
  ])(
    'answers 503 before the function times out when %s hangs, and the retry with the same key triggers once',
    async (_name, engine, dependency) => {
      // A fresh API: its secret cache is empty, so the call must reach Secrets Manager. The engine
      // fails, so the call must reach SQS to queue the job.
      const send = apiThroughProxies(engine);
      const key = `hang-${engine}-${randomUUID()}`;
      harness.sandbox.configure({ alwaysStatus: 500 });
      dependency.hang();
      const started = Date.now();
      let failed: APIGatewayProxyStructuredResultV2;
      try {
        failed = await send(key);
      } finally {
        dependency.resume();
      }
      const elapsed = Date.now() - started;
      harness.sandbox.configure({ alwaysStatus: null });

      expect(failed.statusCode).toBe(503);
      expect(failed.headers?.['content-type']).toBe('application/problem+json');
      // functions/workflow-api/function.yml: a 10 s timeout; the answer must come well before it.
      expect(elapsed).toBeLessThan(10_000);
      // The retry triggers it (200), or queues it (202) when the hung call's claim reached DynamoDB
      // Local before it froze and still holds the job: the trigger then takes it once the claim expires.
      const retried = await send(key);
      const jobId = `api:campaign-send:${key}`;
      expect([200, 202]).toContain(retried.statusCode);
      expect(JSON.parse(String(retried.body))).toMatchObject({ jobId });
      await harness.start();
      const ledger = new JobLedger({
        client: harness.dynamoDb,
        tableName: tableName('state'),
        scope: 'workflow',
        keepSeconds: 3600,
        now: Date.now,
      });
      await waitFor(
        'the job marked sent',
        async () => (await ledger.get(jobId))?.status === 'sent',
        40_000,
      );
      await harness.quiet([jobId]);
      expect(harness.sandbox.executions().filter((e) => e.idempotencyKey === jobId)).toHaveLength(
        1,
      );
    },
    60_000,
  );
});
