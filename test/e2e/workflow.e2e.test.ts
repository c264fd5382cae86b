import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { localSecret } from '../helpers/ingest/ingest-harness';
import { sample, signed } from '../helpers/ingest/webhook-requests';
import { localClientOptions, localStack, queueUrl } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';
import { waitForQuiet } from '../helpers/workflow/quiet';

jest.setTimeout(60_000);

interface SandboxCall {
  path: string;
  idempotencyKey?: string;
  status: number;
  executionId?: string;
  body: { _metadata?: Record<string, unknown> } & Record<string, unknown>;
}

describe('workflow trigger through serverless offline', () => {
  const state = localStack();
  const sqs = new SQSClient(localClientOptions());
  const dynamoDb = new DynamoDBClient(localClientOptions());

  afterAll(() => {
    sqs.destroy();
    dynamoDb.destroy();
  });

  /** The sandbox engine's calls carrying this Idempotency-Key (other tests share the sandbox). */
  const callsWithKey = async (key: string): Promise<SandboxCall[]> => {
    const response = await fetch(`${state.workflowSandbox}/sandbox/calls`, {
      signal: AbortSignal.timeout(5000),
    });
    const { calls } = (await response.json()) as { calls: SandboxCall[] };
    return calls.filter((call) => call.idempotencyKey === key);
  };

  /**
   * Waits (bounded, throwing) for the first call with this key, then for quiet: the workflow queue
   * empty (delayed and in-flight included) and the job's ledger entry terminal, so a second trigger
   * could no longer be on its way; then returns every call with the key.
   */
  const settledCalls = async (key: string) => {
    await waitFor(`an engine call with Idempotency-Key ${key}`, async () => {
      return (await callsWithKey(key)).length > 0;
    });
    await waitForQuiet('the workflow queue', {
      sqs,
      queueUrls: [queueUrl('workflow-jobs')],
      ledger: { dynamoDb, scope: 'workflow', jobIds: [key] },
    });
    return callsWithKey(key);
  };

  /** A fresh signed GitHub `push` delivery with its own delivery id. */
  const githubPush = () => {
    const delivery = randomUUID();
    const envelope = sample('github', { fresh: true });
    envelope.headers = { ...envelope.headers, 'X-GitHub-Delivery': delivery };
    const request = signed({ scheme: 'github' }, envelope, localSecret('github'));
    request.headers['X-Correlation-Id'] = `e2e-wf-${delivery.slice(0, 8)}`;
    return { delivery, request };
  };

  const post = (request: { body: string; headers: Record<string, string> }) =>
    fetch(`${state.http}/webhooks/github`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });

  it('triggers workflow ci once for a signed GitHub push, with the job metadata in the body', async () => {
    const { delivery, request } = githubPush();

    const response = await post(request);

    expect(response.status).toBe(202);
    const { eventId } = (await response.json()) as { eventId: string };
    const jobId = `github:${eventId}:workflow:ci`;
    const calls = await settledCalls(jobId);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      path: 'webhook/ci',
      status: 200,
      executionId: expect.stringMatching(/^exec-/),
      body: {
        source: 'github',
        eventType: 'push',
        eventId,
        payload: { ref: 'refs/heads/main' },
        _metadata: {
          jobId,
          correlationId: `e2e-wf-${delivery.slice(0, 8)}`,
          source: 'github',
          attempt: 1,
        },
      },
    });
    expect(Date.parse(String(calls[0]?.body._metadata?.triggeredAt))).not.toBeNaN();
  });

  it('triggers once when GitHub delivers the same push twice', async () => {
    const { request } = githubPush();

    const first = await post(request);
    const second = await post(request);

    expect(first.status).toBe(202);
    // The repeat is absorbed at ingest: the same answer, or 409 while the first is in flight.
    expect([202, 409]).toContain(second.status);
    const { eventId } = (await first.json()) as { eventId: string };
    if (second.status === 202) expect(await second.json()).toMatchObject({ eventId });
    const calls = await settledCalls(`github:${eventId}:workflow:ci`);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.status).toBe(200);
  });
});
