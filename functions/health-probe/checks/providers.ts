import type { CheckResult, HealthStatus } from '../health';
import { type Check, elapsedMs, resultOf } from './check';

/** A downstream provider reached by base URL, with the path of a cheap request. */
export interface ProviderRef {
  /** `email` or `workflow`: the component of the `<name>:responseTime` key. */
  name: string;
  baseUrl: string;
  /** Appended to `baseUrl`; `/` by default (a GET on the base URL). */
  healthPath: string;
}

/** Joins a base URL and a path without doubling or dropping a slash. */
export function providerUrl(provider: Pick<ProviderRef, 'baseUrl' | 'healthPath'>): string {
  return `${provider.baseUrl.replace(/\/+$/, '')}/${provider.healthPath.replace(/^\/+/, '')}`;
}

/**
 * `<provider>:responseTime`: the provider answers a cheap GET, with its latency. Any answer below 500
 * counts as reachable (a base URL may well answer 404 or 401 to an anonymous GET). Never critical:
 * jobs wait in their queue while a provider is down, so webhooks are still taken in safely.
 */
export function providerCheck(provider: ProviderRef, fetchImpl: typeof fetch = fetch): Check {
  const check = {
    key: `${provider.name}:responseTime`,
    componentType: 'system',
    componentIds: [provider.name],
    critical: false,
  };
  return {
    ...check,
    async run({ signal, now }): Promise<CheckResult[]> {
      const started = performance.now();
      try {
        const response = await fetchImpl(providerUrl(provider), {
          method: 'GET',
          signal,
          redirect: 'manual',
        });
        // The body is not needed; release the connection.
        await response.body?.cancel().catch(() => undefined);
        const ok = response.status < 500;
        return [
          resultOf(check, provider.name, now, {
            status: ok ? 'pass' : 'warn',
            observedValue: elapsedMs(started),
            observedUnit: 'ms',
            ...(ok ? {} : { output: `provider answered ${response.status}` }),
          }),
        ];
      } catch {
        return [
          resultOf(check, provider.name, now, { status: 'warn', output: 'provider unreachable' }),
        ];
      }
    },
  };
}

/** A circuit breaker's state as the workflow trigger keeps it. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** The last resume of a breaker or a pause, as its state item records it. */
export interface ResumeSeen {
  via: string;
  by: string;
  reason: string;
  at: string;
}

/** Reads the workflow engine's circuit breaker: its state, why, and its last resume. */
export interface BreakerStateReader {
  read(signal: AbortSignal): Promise<{
    state: BreakerState;
    reason?: string;
    openUntil?: string;
    resume?: ResumeSeen;
  }>;
}

/** Reads the email provider's pause: sending, paused, or waiting for its trial call. */
export interface PauseStateReader {
  read(signal: AbortSignal): Promise<{
    state: 'sending' | 'paused' | 'trial';
    reason?: string;
    pausedUntil?: string;
    resume?: ResumeSeen;
  }>;
}

const BREAKER_STATUS: Record<BreakerState, HealthStatus> = {
  closed: 'pass',
  'half-open': 'warn',
  open: 'warn',
};

/** "last resumed 2026-... by alice (command): token fixed", for `/status`. */
export function resumeText(resume: ResumeSeen | undefined): string | undefined {
  if (!resume) return undefined;
  return `last resumed ${resume.at} by ${resume.by} (${resume.via}): ${resume.reason}`;
}

/**
 * `<name>:circuitBreaker`: the breaker's state as the observed value; `warn` unless closed (calls to
 * the provider are held back, jobs wait in their queue). The output says why and until when; the
 * detail names the last resume.
 */
export function breakerCheck(name: string, reader: BreakerStateReader): Check {
  const check = {
    key: `${name}:circuitBreaker`,
    componentType: 'component',
    componentIds: [name],
    critical: false,
  };
  return {
    ...check,
    async run({ signal, now }) {
      const reading = await reader.read(signal);
      const status = BREAKER_STATUS[reading.state];
      const until = reading.openUntil ? ` until ${reading.openUntil}` : '';
      const why = reading.reason ? `: ${reading.reason}` : '';
      const detail = resumeText(reading.resume);
      return [
        resultOf(check, name, now, {
          status,
          observedValue: reading.state,
          ...(status === 'pass'
            ? {}
            : { output: `circuit breaker is ${reading.state}${until}${why}` }),
          ...(detail ? { detail } : {}),
        }),
      ];
    },
  };
}

/**
 * `<name>:providerPause`: `sending`, `paused` (our token or account was refused: every batcher holds
 * its jobs) or `trial` (one call decides); `warn` unless sending.
 */
export function pauseCheck(name: string, reader: PauseStateReader): Check {
  const check = {
    key: `${name}:providerPause`,
    componentType: 'component',
    componentIds: [name],
    critical: false,
  };
  return {
    ...check,
    async run({ signal, now }) {
      const reading = await reader.read(signal);
      const status: HealthStatus = reading.state === 'sending' ? 'pass' : 'warn';
      const until = reading.pausedUntil ? ` until ${reading.pausedUntil}` : '';
      const why = reading.reason ? `: ${reading.reason}` : '';
      const detail = resumeText(reading.resume);
      return [
        resultOf(check, name, now, {
          status,
          observedValue: reading.state,
          ...(status === 'pass'
            ? {}
            : {
                output:
                  reading.state === 'paused'
                    ? `provider paused${until}${why}`
                    : 'waiting for one trial call after a pause',
              }),
          ...(detail ? { detail } : {}),
        }),
      ];
    },
  };
}
