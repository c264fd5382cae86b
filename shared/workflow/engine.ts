/** What one call to the workflow engine came to. */
export type EngineOutcome =
  /** 2xx: the engine took the job. */
  | { kind: 'triggered'; status: number; executionId?: string; latencyMs: number }
  /** Worth another try later. `ambiguous`: the request may have reached the engine. */
  | {
      kind: 'retry';
      status?: number;
      retryAfterSeconds?: number;
      ambiguous: boolean;
      error: string;
      latencyMs: number;
    }
  /** 401, 403, 404, 422: our token or the workflow's setup on the engine is wrong, not the job. */
  | { kind: 'refused'; status: number; error: string; latencyMs: number }
  /** Any other 4xx: this job can never succeed. */
  | { kind: 'permanent'; status: number; error: string; latencyMs: number };

/** One trigger call: where, with what, and how long it may take. */
export interface EngineCall {
  baseUrl: string;
  path: string;
  token: string;
  idempotencyKey: string;
  correlationId: string;
  body: unknown;
  timeoutMs: number;
}

const RETRY_STATUSES = new Set([408, 425, 429]);
const REFUSED_STATUSES = new Set([401, 403, 404, 422]);
/** Errors raised before any byte was sent: the engine cannot have the job. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** `Retry-After` in seconds (delta or HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

async function executionIdOf(response: Response): Promise<string | undefined> {
  try {
    const body = (await response.json()) as Record<string, unknown> | null;
    const id = body?.executionId ?? body?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `POST {baseUrl}/{path}` with the bearer token and the job's `Idempotency-Key`, cut at `timeoutMs`,
 * and classified as the retry rules need. Never throws, never logs the token or the body.
 */
export async function callEngine(
  call: EngineCall,
  fetchImpl: typeof fetch = fetch,
  now: () => number = Date.now,
): Promise<EngineOutcome> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  let response: Response;
  try {
    response = await fetchImpl(`${call.baseUrl.replace(/\/+$/, '')}/${call.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${call.token}`,
        'idempotency-key': call.idempotencyKey,
        'x-correlation-id': call.correlationId,
      },
      body: JSON.stringify(call.body),
      signal: AbortSignal.timeout(call.timeoutMs),
      redirect: 'manual',
    });
  } catch (error) {
    const code = errorCode(error);
    const timedOut = (error as Error | undefined)?.name === 'TimeoutError';
    return {
      kind: 'retry',
      ambiguous: timedOut || !NOT_SENT_CODES.has(code ?? ''),
      error: timedOut ? `timeout after ${call.timeoutMs} ms` : `network error ${code ?? 'unknown'}`,
      latencyMs: latency(),
    };
  }
  const { status } = response;
  if (status >= 200 && status < 300) {
    const executionId = await executionIdOf(response);
    return { kind: 'triggered', status, executionId, latencyMs: latency() };
  }
  await response.body?.cancel().catch(() => undefined);
  const error = `engine answered ${status}`;
  if (status >= 500 || RETRY_STATUSES.has(status)) {
    const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), now());
    return {
      kind: 'retry',
      status,
      retryAfterSeconds,
      ambiguous: false,
      error,
      latencyMs: latency(),
    };
  }
  if (REFUSED_STATUSES.has(status)) return { kind: 'refused', status, error, latencyMs: latency() };
  return { kind: 'permanent', status, error, latencyMs: latency() };
}
