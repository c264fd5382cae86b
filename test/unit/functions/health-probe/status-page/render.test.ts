import type { CheckResult } from '../../../../../functions/health-probe/health';
import type { ProbeRun } from '../../../../../functions/health-probe/history';
import { notPassingSince, partOf } from '../../../../../functions/health-probe/status-page/groups';
import { renderStatusPage } from '../../../../../functions/health-probe/status-page/render';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

function check(key: string, componentId: string, fields: Partial<CheckResult> = {}): CheckResult {
  return {
    key,
    componentId,
    componentType: 'component',
    critical: false,
    status: 'pass',
    time: at(0),
    ...fields,
  };
}

const run = (minutesAgo: number, checks: CheckResult[]): ProbeRun => ({
  time: at(minutesAgo),
  status: 'warn',
  checks,
});

/** The part of the page before the grouped checks: the summary of what is wrong. */
const summaryOf = (html: string) =>
  html.slice(html.indexOf('id="problems"'), html.indexOf('class="group"'));

describe('status page', () => {
  const dlq = check('dlq:depth', 'jobs-dlq', {
    status: 'warn',
    output: 'dead letters are waiting',
    observedValue: 3,
    observedUnit: 'messages',
  });
  const table = check('dynamodb:readLatency', 'state', { status: 'fail', critical: true });
  const ceiling = check('ceiling:utilization', 'stripe', { observedValue: 0 });

  it('lists every check not passing at the top, failing before warning, with what to do and since when', () => {
    const runs = [run(30, [{ ...dlq, status: 'pass' }]), run(20, [dlq]), run(10, [dlq, table])];
    const html = renderStatusPage({
      status: 'fail',
      checks: [ceiling, dlq, table],
      runs,
      now: NOW,
      stage: 'prod',
    });
    const summary = summaryOf(html);

    expect(summary).toContain('2 checks are not passing (of 3)');
    expect(summary.indexOf('data-check="dynamodb:readLatency"')).toBeLessThan(
      summary.indexOf('data-check="dlq:depth"'),
    );
    expect(summary).toContain(`since ${at(20)} (20 min)`);
    expect(summary).toContain('<code>npm run dlq -- show &lt;queue&gt;</code>');
    expect(summary).not.toContain('stripe');
  });

  it('groups checks by pipeline part, failing first, healthy ones as compact rows', () => {
    const html = renderStatusPage({
      status: 'warn',
      checks: [check('queue:depth', 'jobs'), dlq, ceiling],
      runs: [],
      now: NOW,
      stage: 'prod',
    });
    const queues = html.slice(html.indexOf('id="group-queues"'));

    expect(queues).toContain('1 of 2 not passing');
    expect(queues.indexOf('<section class="check" data-check="dlq:depth"')).toBeLessThan(
      queues.indexOf('<details class="check" data-check="queue:depth"'),
    );
    expect(partOf('workflow:circuitBreaker')).toBe('workflows');
    expect(partOf('emailRateLimiter:utilization')).toBe('email');
    expect(partOf('secret:age')).toBe('secrets');
  });

  it('escapes every value and has no script', () => {
    const hostile = check('workflow:circuitBreaker', '<script>alert(1)</script>', {
      status: 'warn',
      output: 'open: "<img src=x onerror=alert(1)>"',
      detail: "last resumed by <b>o'neil</b>",
    });
    const html = renderStatusPage({
      status: 'warn',
      checks: [hostile],
      runs: [],
      now: NOW,
      stage: '<stage>',
    });

    expect(html).not.toMatch(/<script|<img|<b>/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('last resumed by &lt;b&gt;o&#39;neil&lt;/b&gt;');
  });

  it('says so when every check passes', () => {
    const html = renderStatusPage({
      status: 'pass',
      checks: [ceiling],
      runs: [],
      now: NOW,
      stage: 'prod',
    });

    expect(summaryOf(html)).toContain('All 1 checks pass.');
  });

  it('dates a problem from the check itself when no stored run shows it yet', () => {
    expect(notPassingSince(dlq, [run(5, [{ ...dlq, status: 'pass' }])])).toBe(dlq.time);
  });
});
