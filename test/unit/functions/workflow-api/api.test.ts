import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  type DirectCall,
  makeWorkflowApi,
  type WorkflowApiDeps,
} from '../../../../functions/workflow-api/api';
import { httpFunction } from '../../../../shared/http/http-function';
import type { ClaimResult, LedgerHold, StepResult } from '../../../../shared/ledger/types';
import type { WorkflowJob } from '../../../../shared/messages/jobs';
import type { BreakerPermit } from '../../../../shared/workflow/breaker/types';
import type { EngineOutcome } from '../../../../shared/workflow/engine';
import { makeTriggerTelemetry } from '../../../../shared/workflow/telemetry';
import { lambdaContext } from '../../../helpers/ingest/webhook-requests';

const KEY = 'unit-workflows-key';
const silent = new Logger({ serviceName: 'workflow-api-test', logLevel: 'SILENT' });

/** A `POST /workflows/{name}` event as the HTTP API delivers it. */
function post(
  name: string,
  body: string | undefined,
  headers: Record<string, string> = { 'x-api-key': KEY, 'content-type': 'application/json' },
): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /workflows/{name}',
    rawPath: `/workflows/${name}`,
    rawQueryString: '',
    headers,
    pathParameters: { name },
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
    requestContext: {
      http: { method: 'POST', path: `/workflows/${name}` },
      requestId: 'r-1',
    },
  } as unknown as APIGatewayProxyEventV2;
}

/** The hold every claim of these tests hands out. */
const HOLD: LedgerHold = {
  jobId: 'api:campaign-send:uuid-1',
  token: 'claim-1',
  history: [],
  historyCount: 1,
  calls: [],
  ambiguous: false,
};

function setup(
  options: {
    claim?: ClaimResult;
    permit?: BreakerPermit;
    outcome?: EngineOutcome;
    enqueueFails?: boolean;
    /** What every ledger step after the claim comes to. */
    step?: StepResult;
  } = {},
) {
  const calls: DirectCall[] = [];
  const queued: { job: WorkflowJob; attributes: Record<string, string>; delaySeconds: number }[] =
    [];
  const ledger = {
    claim: jest.fn(
      async (): Promise<ClaimResult> =>
        options.claim ?? {
          kind: 'claimed',
          attempts: 1,
          ambiguous: false,
          history: [],
          hold: HOLD,
        },
    ),
    markSent: jest.fn(async (): Promise<StepResult> => options.step ?? 'done'),
    release: jest.fn(async (): Promise<StepResult> => options.step ?? 'done'),
  };
  const breaker = {
    permit: jest.fn(async (): Promise<BreakerPermit> => options.permit ?? { kind: 'closed' }),
    settleTrial: jest.fn(async (): Promise<number | undefined> => undefined),
    record: jest.fn(),
    flush: jest.fn(async () => {}),
  };
  const telemetry = makeTriggerTelemetry(silent, { addMetric: () => {} });
  const writeFailed = jest.fn();
  const deps: WorkflowApiDeps = {
    registry: new Map([['campaign-send', 'webhook/campaign-send-v2']]),
    hasKey: async (event) => event.headers?.['x-api-key'] === KEY,
    ledger,
    breaker,
    call: async (call) => {
      calls.push(call);
      return (
        options.outcome ?? { kind: 'triggered', status: 200, executionId: 'exec-1', latencyMs: 3 }
      );
    },
    token: async () => 'engine-token',
    enqueue: async (job, attributes, delaySeconds) => {
      if (options.enqueueFails) throw new Error('queue down');
      queued.push({ job, attributes, delaySeconds });
    },
    telemetry,
    writeFailed,
    log: silent,
    settings: { maxBodyBytes: 10_000, maxJsonDepth: 16, directTimeoutMs: 1500, claimMs: 12_000 },
    remainingMs: () => 4000,
    newJobId: () => 'uuid-1',
    newClaimToken: () => 'claim-1',
    now: () => Date.parse('2026-11-22T10:00:00Z'),
  };
  const handler = httpFunction(makeWorkflowApi(deps), { logger: silent });
  const send = async (event: APIGatewayProxyEventV2) => {
    const response = (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2;
    return {
      status: response.statusCode,
      body: JSON.parse(String(response.body ?? 'null')),
      response,
    };
  };
  return { send, calls, queued, ledger, breaker, telemetry, writeFailed };
}

describe('POST /workflows/{name}', () => {
  describe('authentication and validation, before any I/O', () => {
    it.each([
      ['no key', {}],
      ['a wrong key', { 'x-api-key': 'guess' }],
    ])('answers 401 problem+json with %s', async (_, headers) => {
      const { send, ledger, calls } = setup();
      const answer = await send(post('campaign-send', '{}', headers));
      expect(answer.status).toBe(401);
      expect(answer.response.headers?.['content-type']).toBe('application/problem+json');
      expect(answer.response.headers?.['WWW-Authenticate']).toMatch(/^Bearer/);
      expect(ledger.claim).not.toHaveBeenCalled();
      expect(calls).toHaveLength(0);
    });

    it('answers 404 for a workflow the registry lacks', async () => {
      const { send, ledger } = setup();
      const answer = await send(post('no-such-flow', '{}'));
      expect(answer.status).toBe(404);
      expect(answer.body.title).toBe('Unknown workflow');
      expect(ledger.claim).not.toHaveBeenCalled();
    });

    it.each([
      ['not JSON', '{"a":'],
      ['an array', '[1,2]'],
      ['a string', '"go"'],
      ['an empty body', undefined],
      ['an input that is not an object', '{"input": 5}'],
      ['JSON nested too deep', `${'['.repeat(20)}${']'.repeat(20)}`],
    ])('answers 400 for %s', async (_, body) => {
      const { send, ledger } = setup();
      const answer = await send(post('campaign-send', body));
      expect(answer.status).toBe(400);
      expect(answer.body.status).toBe(400);
      expect(ledger.claim).not.toHaveBeenCalled();
    });

    it('answers 400 for an Idempotency-Key with spaces, 413 for a body over the limit, 415 for text that is not JSON', async () => {
      const { send } = setup();
      const headers = { 'x-api-key': KEY, 'idempotency-key': 'two words' };
      expect((await send(post('campaign-send', '{}', headers))).status).toBe(400);
      const big = JSON.stringify({ text: 'x'.repeat(20_000) });
      expect((await send(post('campaign-send', big))).status).toBe(413);
      const text = { 'x-api-key': KEY, 'content-type': 'text/plain' };
      expect((await send(post('campaign-send', 'hello', text))).status).toBe(415);
    });

    it('takes a JSON body labelled form-encoded or text, as curl -d and fetch send it', async () => {
      const { send, calls } = setup();
      for (const type of ['application/x-www-form-urlencoded', 'text/plain;charset=UTF-8']) {
        const headers = { 'x-api-key': KEY, 'content-type': type };
        expect((await send(post('campaign-send', '{"a": 1}', headers))).status).toBe(200);
      }
      expect(calls.map((call) => call.job.input)).toEqual([{ a: 1 }, { a: 1 }]);
    });
  });

  describe('with the engine up', () => {
    it('answers 200 with the execution id and records the job as triggered', async () => {
      const { send, calls, ledger, queued, breaker } = setup();
      const answer = await send(post('campaign-send', '{"campaignId": "c-1"}'));
      expect(answer).toMatchObject({
        status: 200,
        body: { executionId: 'exec-1', jobId: 'api:campaign-send:uuid-1' },
      });
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({
        path: 'webhook/campaign-send-v2',
        token: 'engine-token',
        job: { id: 'api:campaign-send:uuid-1', input: { campaignId: 'c-1' } },
        metadata: { source: 'api', jobId: 'api:campaign-send:uuid-1', attempt: 1 },
      });
      expect(calls[0]?.timeoutMs).toBeLessThanOrEqual(1500);
      expect(ledger.markSent).toHaveBeenCalledWith(HOLD, 'exec-1');
      expect(breaker.record).toHaveBeenCalledWith(true);
      expect(queued).toHaveLength(0);
    });

    it('reads {"input": {...}} as the input, and makes the job id from the Idempotency-Key', async () => {
      const { send, calls } = setup();
      const headers = { 'x-api-key': KEY, 'idempotency-key': 'order-42' };
      const answer = await send(post('campaign-send', '{"input": {"a": 1}}', headers));
      expect(answer.body.jobId).toBe('api:campaign-send:order-42');
      expect(calls[0]?.job.input).toEqual({ a: 1 });
    });

    it('answers a repeated key with the first execution, without calling again', async () => {
      const { send, calls } = setup({ claim: { kind: 'sent', messageId: 'exec-first' } });
      const headers = { 'x-api-key': KEY, 'idempotency-key': 'k-1' };
      const answer = await send(post('campaign-send', '{}', headers));
      expect(answer).toMatchObject({ status: 200, body: { executionId: 'exec-first' } });
      expect(calls).toHaveLength(0);
    });

    it('answers 422 when the key was first used with another input', async () => {
      const { send, calls, queued } = setup({ claim: { kind: 'conflict' } });
      const headers = { 'x-api-key': KEY, 'idempotency-key': 'k-1' };
      const answer = await send(post('campaign-send', '{"other": true}', headers));
      expect(answer.status).toBe(422);
      expect(calls).toHaveLength(0);
      expect(queued).toHaveLength(0);
    });

    it('answers 400 and queues nothing when the engine rejects the input', async () => {
      const outcome: EngineOutcome = {
        kind: 'permanent',
        status: 400,
        error: 'engine answered 400',
        latencyMs: 2,
      };
      const { send, queued, ledger } = setup({ outcome });
      const answer = await send(post('campaign-send', '{}'));
      expect(answer.status).toBe(400);
      expect(answer.body.title).toBe('Input rejected by the engine');
      expect(queued).toHaveLength(0);
      expect(ledger.release).toHaveBeenCalledWith(HOLD, 'dead', 'engine answered 400');
    });
  });

  describe('when the engine cannot take it now', () => {
    it('queues the job under the same id on a 5xx and answers 202', async () => {
      const outcome: EngineOutcome = {
        kind: 'retry',
        status: 503,
        retryAfterSeconds: 7,
        ambiguous: false,
        error: 'engine answered 503',
        latencyMs: 2,
      };
      const { send, queued, ledger, breaker } = setup({ outcome });
      const answer = await send(post('campaign-send', '{"x": 1}'));
      expect(answer).toMatchObject({
        status: 202,
        body: { jobId: 'api:campaign-send:uuid-1', queued: true },
      });
      expect(queued).toEqual([
        {
          job: expect.objectContaining({ id: 'api:campaign-send:uuid-1', input: { x: 1 } }),
          attributes: expect.objectContaining({ source: 'api' }),
          delaySeconds: 7,
        },
      ]);
      expect(ledger.release).toHaveBeenCalledWith(HOLD, 'retry', 'engine answered 503');
      expect(breaker.record).toHaveBeenCalledWith(false);
    });

    it('records a timeout as ambiguous, so the trigger retries with the same key', async () => {
      const outcome: EngineOutcome = {
        kind: 'retry',
        ambiguous: true,
        error: 'timeout after 1500 ms',
        latencyMs: 1500,
      };
      const { send, queued, ledger, telemetry } = setup({ outcome });
      expect((await send(post('campaign-send', '{}'))).status).toBe(202);
      expect(queued).toHaveLength(1);
      expect(ledger.release).toHaveBeenCalledWith(HOLD, 'unknown', outcome.error);
      expect(telemetry.counts.ambiguous).toBe(1);
    });

    it('queues without calling while the breaker is open, giving the attempt back', async () => {
      const { send, calls, queued, ledger } = setup({ permit: { kind: 'open', retryInMs: 5000 } });
      expect((await send(post('campaign-send', '{}'))).status).toBe(202);
      expect(calls).toHaveLength(0);
      expect(queued).toHaveLength(1);
      expect(ledger.release).toHaveBeenCalledWith(HOLD, 'retry', 'circuit breaker open', true);
    });

    it('settles a trial permit with the outcome of its call', async () => {
      const { send, breaker } = setup({ permit: { kind: 'trial', token: 't-1' } });
      expect((await send(post('campaign-send', '{}'))).status).toBe(200);
      expect(breaker.settleTrial).toHaveBeenCalledWith(
        't-1',
        true,
        'trial call succeeded',
        undefined,
      );
    });

    it('queues a job another call is triggering, so the answer 202 is true', async () => {
      const { send, calls, queued } = setup({ claim: { kind: 'busy', retryInMs: 3000 } });
      expect((await send(post('campaign-send', '{}'))).status).toBe(202);
      expect(calls).toHaveLength(0);
      expect(queued).toHaveLength(1);
    });

    it('answers 503 and claims no success when the queue is down too', async () => {
      const outcome: EngineOutcome = {
        kind: 'retry',
        ambiguous: false,
        error: 'down',
        latencyMs: 1,
      };
      const { send } = setup({ outcome, enqueueFails: true });
      const answer = await send(post('campaign-send', '{}'));
      expect(answer.status).toBe(503);
      expect(answer.response.headers?.['content-type']).toBe('application/problem+json');
    });
  });

  describe('ledger steps under the claim', () => {
    it('answers with what the engine said when its claim was taken over meanwhile', async () => {
      const { send, ledger } = setup({ step: 'taken-over' });
      const answer = await send(post('campaign-send', '{}'));
      expect(answer).toMatchObject({ status: 200, body: { executionId: 'exec-1' } });
      expect(ledger.markSent).toHaveBeenCalledWith(HOLD, 'exec-1');
    });

    it('logs and counts a failed claim with its error before answering 503', async () => {
      const { send, ledger, writeFailed } = setup();
      const failure = new Error('table unavailable');
      ledger.claim.mockRejectedValueOnce(failure);
      const answer = await send(post('campaign-send', '{}'));
      expect(answer.status).toBe(503);
      expect(writeFailed).toHaveBeenCalledWith(
        expect.objectContaining({ store: 'ledger', step: 'claim', error: failure }),
      );
    });

    it('logs and counts a failed mark with its error, and still answers 200', async () => {
      const { send, ledger, writeFailed } = setup();
      const failure = new Error('throttled');
      ledger.markSent.mockRejectedValueOnce(failure);
      expect((await send(post('campaign-send', '{}'))).status).toBe(200);
      expect(writeFailed).toHaveBeenCalledWith(
        expect.objectContaining({ store: 'ledger', step: 'sent', error: failure }),
      );
    });
  });
});
