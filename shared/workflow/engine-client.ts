import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DependencyError } from '../errors';
import type { WorkflowJob } from '../messages/jobs';
import { CircuitBreaker } from './breaker/circuit-breaker';
import type { BreakerChange, BreakerSettings } from './breaker/types';
import { callEngine } from './engine';

/** One job's call at the engine: its workflow's path, the token, the `_metadata` and the time it may take. */
export interface EngineJobCall {
  path: string;
  token: string;
  job: WorkflowJob;
  metadata: Record<string, unknown>;
  timeoutMs: number;
}

/** The token in `<prefix>/providers/workflow` (`{"token": "..."}`). */
export function workflowTokenOf(value: unknown): string {
  const token = (value as { token?: unknown } | undefined)?.token;
  if (typeof token !== 'string' || token === '') {
    throw new DependencyError('The workflow engine secret has no "token"');
  }
  return token;
}

/**
 * One call of a job's workflow at the engine at `baseUrl`: the job's input with its `_metadata`, its
 * id as `Idempotency-Key`, cut at `timeoutMs`.
 */
export function engineCall(
  baseUrl: string,
  call: EngineJobCall,
  fetchImpl?: typeof fetch,
  now: () => number = Date.now,
) {
  return callEngine(
    {
      baseUrl,
      path: call.path,
      token: call.token,
      idempotencyKey: call.job.id,
      correlationId: String(call.metadata.correlationId),
      body: { ...call.job.input, _metadata: call.metadata },
      timeoutMs: call.timeoutMs,
    },
    fetchImpl,
    now,
  );
}

/** The breaker of one engine, shared through the state table (also read by the health probe). */
export function makeBreaker(
  config: { stateTable: string; engineName: string; breaker: BreakerSettings },
  dynamoDb: DynamoDBClient,
  now: () => number,
  telemetry?: { breaker(change: BreakerChange): void },
) {
  return new CircuitBreaker({
    client: dynamoDb,
    tableName: config.stateTable,
    engine: config.engineName,
    settings: config.breaker,
    now,
    random: Math.random,
    newToken: randomUUID,
    ...(telemetry ? { onChange: (change) => telemetry.breaker(change) } : {}),
  });
}
