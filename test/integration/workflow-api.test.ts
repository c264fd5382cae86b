import { randomUUID } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadWorkflowApiConfig } from '../../functions/workflow-api/config';
import { buildWorkflowApi } from '../../functions/workflow-api/wiring';
import { loadTimeoutSettings } from '../../shared/clients/options';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { tableName } from '../helpers/local-stack';
import { lambdaContext } from '../helpers/webhook-requests';
import { TEST_REGISTRY, WorkflowHarness } from '../helpers/workflow-harness';

const KEY = `wf-key-${randomUUID()}`;

/** Polls `check` every 100 ms until it holds or `ms` pass. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('POST /workflows/{name} against the local servers and a sandbox engine', () => {
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
      { sqs: harness.sqs, dynamoDb: harness.dynamoDb, secretsManager: harness.secretsManager },
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
    await eventually(async () => (await ledger.get(jobId))?.status === 'sent');
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
    await eventually(async () => (await ledger.get(jobId))?.status === 'sent');
    expect(harness.sandbox.executions().filter((e) => e.idempotencyKey === jobId)).toHaveLength(1);
  });
});
