import type { Check } from '../../../../functions/health-probe/checks/check';
import { breakerCheck } from '../../../../functions/health-probe/checks/providers';
import { runChecks } from '../../../../functions/health-probe/checks/run';
import {
  type CheckResult,
  healthDocument,
  httpStatusOf,
  overallStatus,
} from '../../../../functions/health-probe/health';
import { combine, makeCurrentHealth } from '../../../../functions/health-probe/health-answer';
import { makeApiKeyCheck } from '../../../../shared/http/api-key';
import { getEventLike } from './events';

const now = () => Date.parse('2026-01-01T12:00:00Z');

const result = (fields: Partial<CheckResult> & Pick<CheckResult, 'status'>): CheckResult => ({
  key: 'queue:depth',
  componentId: 'jobs',
  componentType: 'datastore',
  time: new Date(now()).toISOString(),
  critical: true,
  ...fields,
});

const check = (key: string, run: Check['run']): Check => ({
  key,
  componentType: 'component',
  componentIds: [key],
  critical: true,
  run,
});

describe('health semantics', () => {
  it('lets only a dependency ingest needs make the answer fail', () => {
    const provider = result({ key: 'email:responseTime', status: 'fail', critical: false });

    expect(overallStatus([result({ status: 'pass' }), provider])).toBe('warn');
    expect(overallStatus([result({ status: 'fail' }), provider])).toBe('fail');
    expect(httpStatusOf('warn')).toBe(200);
    expect(httpStatusOf('fail')).toBe(503);
  });

  it('shows only states without the status key: no values, component ids or outputs', () => {
    const checks = [result({ status: 'fail', observedValue: 3, output: 'queue unreachable' })];

    expect(healthDocument(checks, { detailed: false })).toEqual({
      status: 'fail',
      checks: { 'queue:depth': [{ status: 'fail' }] },
    });
    expect(healthDocument(checks, { detailed: true }).checks['queue:depth']?.[0]).toMatchObject({
      componentId: 'jobs',
      observedValue: 3,
      output: 'queue unreachable',
    });
  });
});

describe('runChecks', () => {
  it('fails a check that never answers at its timeout and keeps the others', async () => {
    const hanging = check('hang:x', () => new Promise(() => {}));
    const quick = check('quick:x', async ({ now: clock }) => [
      result({ key: 'quick:x', componentId: 'quick:x', status: 'pass', time: String(clock()) }),
    ]);

    const results = await runChecks(
      [hanging, quick],
      { checkTimeoutMs: 20, budgetMs: 50 },
      { now },
    );

    expect(results.map((r) => [r.key, r.status, r.output])).toEqual([
      ['hang:x', 'fail', 'no answer within 20 ms'],
      ['quick:x', 'pass', undefined],
    ]);
  });

  it('aborts the signal of a check that timed out, so its calls stop', async () => {
    let signal: AbortSignal | undefined;
    const hanging = check('hang:x', (context) => {
      signal = context.signal;
      return new Promise(() => {});
    });

    await runChecks([hanging], { checkTimeoutMs: 10, budgetMs: 10 }, { now });

    expect(signal?.aborted).toBe(true);
  });
});

describe('combining scheduled and live results', () => {
  const options = {
    live: [],
    history: { latest: async () => undefined },
    budget: { checkTimeoutMs: 10, budgetMs: 10 },
    cacheMs: 0,
    periodMs: 60_000,
    now,
  };

  it('turns results older than three periods into warn and says the run is stale', () => {
    const run = {
      time: new Date(now() - 4 * 60_000).toISOString(),
      status: 'pass' as const,
      checks: [result({ key: 'dlq:depth', status: 'pass', critical: false })],
    };

    const checks = combine([], run, false, options);

    expect(checks.map((c) => [c.key, c.status, c.output])).toEqual([
      ['dlq:depth', 'warn', 'result is stale'],
      ['probe:lastRun', 'warn', 'scheduled results are stale'],
    ]);
  });

  it('never lets a stored result fail the answer: the live result of the component replaces it', () => {
    const run = {
      time: new Date(now() - 1000).toISOString(),
      status: 'fail' as const,
      checks: [result({ status: 'fail' }), result({ componentId: 'other', status: 'fail' })],
    };

    const checks = combine([result({ status: 'pass' })], run, false, options);

    expect(overallStatus(checks)).toBe('warn');
    expect(checks.filter((c) => c.componentId === 'jobs').map((c) => c.status)).toEqual(['pass']);
  });

  it('with the history down, measures every scheduled check now and leaves none out', async () => {
    const live = check('queue:depth', async () => [result({ status: 'pass' })]);
    const provider = check('email:reachable', async () => [
      result({ key: 'email:reachable', componentId: 'email:reachable', status: 'pass' }),
    ]);
    const throws = check('ceiling:use', async () => {
      throw new Error('table frozen');
    });
    const hangs = check('workflow:reachable', () => new Promise(() => {}));
    const current = makeCurrentHealth({
      ...options,
      live: [live],
      scheduled: [live, provider, throws, hangs],
      history: {
        latest: async () => {
          throw new Error('DynamoDB down');
        },
      },
    });

    const { checks } = await current();

    expect(checks.map((c) => [c.key, c.status, c.output])).toEqual([
      ['queue:depth', 'pass', undefined],
      ['email:reachable', 'pass', undefined],
      ['ceiling:use', 'fail', 'check failed'],
      ['workflow:reachable', 'fail', 'no answer within 10 ms'],
      ['probe:lastRun', 'warn', 'history unavailable'],
    ]);
  });

  it('runs the live checks once per cache period however many requests come', async () => {
    const run = jest.fn(async () => [result({ status: 'pass' })]);
    const current = makeCurrentHealth({
      ...options,
      cacheMs: 5000,
      live: [check('queue:depth', run)],
    });

    await Promise.all([current(), current(), current()]);
    await current();

    expect(run).toHaveBeenCalledTimes(1);
  });
});

describe('workflow circuit breaker extension point', () => {
  it.each([
    ['closed', 'pass'],
    ['half-open', 'warn'],
    ['open', 'warn'],
  ] as const)('reports a %s breaker as %s', async (state, status) => {
    const breaker = breakerCheck('workflow', { read: async () => ({ state }) });

    const [outcome] = await breaker.run({ signal: new AbortController().signal, now });

    expect(outcome).toMatchObject({ key: 'workflow:circuitBreaker', status, observedValue: state });
    expect(overallStatus(outcome ? [outcome] : [])).toBe(status);
  });

  it('says why and until when it is open, and names the last resume', async () => {
    const breaker = breakerCheck('workflow', {
      read: async () => ({
        state: 'open',
        reason: 'engine refused our configuration: 401',
        openUntil: '2026-01-01T00:05:00.000Z',
        resume: {
          via: 'command',
          by: 'alice',
          reason: 'token fixed',
          at: '2026-01-01T00:00:00.000Z',
        },
      }),
    });

    const [outcome] = await breaker.run({ signal: new AbortController().signal, now });

    expect(outcome?.output).toBe(
      'circuit breaker is open until 2026-01-01T00:05:00.000Z: engine refused our configuration: 401',
    );
    expect(outcome?.detail).toBe(
      'last resumed 2026-01-01T00:00:00.000Z by alice (command): token fixed',
    );
  });
});

describe('status key', () => {
  const secrets = (value: unknown) => ({
    get: jest.fn(async () => value),
    refresh: jest.fn(async () => undefined),
  });
  const basic = (password: string) => ({
    authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
  });

  it('accepts the current and the previous key, as Basic password or Bearer token', async () => {
    const hasKey = makeApiKeyCheck(secrets({ current: 'new-key', previous: 'old-key' }), 's');

    expect(await hasKey(getEventLike(basic('new-key')))).toBe(true);
    expect(await hasKey(getEventLike(basic('old-key')))).toBe(true);
    expect(await hasKey(getEventLike({ Authorization: 'Bearer new-key' }))).toBe(true);
  });

  it('refuses a wrong, missing or empty key and asks for a fresh secret only for a wrong one', async () => {
    const source = secrets({ current: 'new-key' });
    const hasKey = makeApiKeyCheck(source, 's');

    expect(await hasKey(getEventLike(basic('guess')))).toBe(false);
    expect(await hasKey(getEventLike({}))).toBe(false);
    expect(await hasKey(getEventLike(basic('')))).toBe(false);
    expect(source.refresh).toHaveBeenCalledTimes(1);
  });
});
