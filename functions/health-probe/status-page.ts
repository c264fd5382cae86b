import { type ChartPoint, chartSvg, escapeHtml } from './chart';
import { type CheckResult, effectiveStatus, type HealthStatus } from './health';
import type { ProbeRun } from './history';

const BADGE: Record<HealthStatus, string> = { pass: 'Healthy', warn: 'Degraded', fail: 'Failing' };

const STYLE = `
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#fafafa;color:#1b1b1b}
main{max-width:860px;margin:0 auto;padding:12px}
h1{font-size:1.3em;margin:.2em 0}
.overall{padding:12px;border-radius:8px;color:#fff;font-weight:600;font-size:1.15em}
.pass{background:#2e9e5b}.warn{background:#c98c0c}.fail{background:#d64545}
section.check{background:#fff;border:1px solid #ddd;border-radius:8px;margin:10px 0;padding:8px 10px}
.head{display:flex;flex-wrap:wrap;gap:6px;align-items:baseline;justify-content:space-between}
.name{font-weight:600;word-break:break-all}.id{color:#555;word-break:break-all}
.state{border-radius:4px;color:#fff;padding:0 6px;font-size:.85em}
.value{font-variant-numeric:tabular-nums}
.output{color:#7a4b00;margin:2px 0}
svg.chart{width:100%;height:90px;display:block;margin-top:4px}
footer{color:#666;font-size:.85em;margin:12px 0}
`;

/** One chart per component: the key and component id, with its points over the window. */
function seriesOf(runs: readonly ProbeRun[]): Map<string, ChartPoint[]> {
  const series = new Map<string, ChartPoint[]>();
  for (const run of runs) {
    const at = Date.parse(run.time);
    for (const check of run.checks) {
      const id = `${check.key}|${check.componentId}`;
      const points = series.get(id) ?? [];
      const value = typeof check.observedValue === 'number' ? check.observedValue : undefined;
      points.push({
        at,
        status: effectiveStatus(check),
        ...(value === undefined ? {} : { value }),
      });
      series.set(id, points);
    }
  }
  return series;
}

function valueText(check: CheckResult): string {
  if (check.observedValue === undefined) return '';
  return `${check.observedValue}${check.observedUnit ? ` ${check.observedUnit}` : ''}`;
}

function checkSection(
  check: CheckResult,
  points: ChartPoint[],
  window: { from: number; to: number },
) {
  const status = effectiveStatus(check);
  const label = `${check.key} ${check.componentId}`;
  return [
    `<section class="check" data-check="${escapeHtml(check.key)}" data-status="${status}">`,
    '<div class="head">',
    `<span><span class="name">${escapeHtml(check.key)}</span> <span class="id">${escapeHtml(check.componentId)}</span></span>`,
    `<span><span class="value">${escapeHtml(valueText(check))}</span> <span class="state ${status}">${status}</span></span>`,
    '</div>',
    check.output && status !== 'pass' ? `<p class="output">${escapeHtml(check.output)}</p>` : '',
    check.detail ? `<p class="output">${escapeHtml(check.detail)}</p>` : '',
    chartSvg(points, {
      ...window,
      label,
      ...(check.observedUnit ? { unit: check.observedUnit } : {}),
    }),
    '</section>',
  ].join('');
}

/**
 * The status page: the overall state, each check's state and last value, and a 24-hour chart per
 * check drawn from the stored runs. Self-contained (inline CSS and SVG, no script, no external asset)
 * and laid out for a phone's width first.
 */
export function renderStatusPage(input: {
  status: HealthStatus;
  checks: readonly CheckResult[];
  runs: readonly ProbeRun[];
  now: number;
  stage: string;
}): string {
  const window = { from: input.now - 24 * 3600_000, to: input.now };
  const series = seriesOf(input.runs);
  const sections = [...input.checks]
    .sort((a, b) => `${a.key}|${a.componentId}`.localeCompare(`${b.key}|${b.componentId}`))
    .map((check) =>
      checkSection(check, series.get(`${check.key}|${check.componentId}`) ?? [], window),
    );
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Connector Suite status: ${BADGE[input.status]}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    `<h1>Connector Suite <small>(${escapeHtml(input.stage)})</small></h1>`,
    `<div class="overall ${input.status}" id="overall" data-status="${input.status}">${BADGE[input.status]}: ${input.status}</div>`,
    ...sections,
    `<footer>${input.runs.length} scheduled runs in the last 24 hours. Measured ${escapeHtml(new Date(input.now).toISOString())}. Bands: green pass, amber warn, red fail.</footer>`,
    '</main></body></html>',
  ].join('\n');
}
