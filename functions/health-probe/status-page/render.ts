import { type CheckResult, effectiveStatus, type HealthStatus } from '../health';
import type { ProbeRun } from '../history';
import { type ChartPoint, chartSvg, escapeHtml } from './chart';
import { durationText, notPassingSince, PIPELINE_PARTS, partOf, todoOf, whatOf } from './groups';

const BADGE: Record<HealthStatus, string> = { pass: 'Healthy', warn: 'Degraded', fail: 'Failing' };

const STYLE = `
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#fafafa;color:#1b1b1b}
main{max-width:980px;margin:0 auto;padding:10px 12px}
h1{font-size:1.2em;margin:.1em 0 .3em}h2{font-size:1.05em;margin:.2em 0}
.overall{padding:8px 12px;border-radius:8px;color:#fff;font-weight:600}
.pass{background:#2e9e5b}.warn{background:#c98c0c}.fail{background:#d64545}
#problems{margin:8px 0 14px}#problems ul{list-style:none;margin:0;padding:0}
.problem{background:#fff;border:1px solid #ddd;border-left:6px solid #c98c0c;border-radius:6px;margin:6px 0;padding:6px 10px}
.problem.fail{border-left-color:#d64545;background:#fff}.problem.warn{background:#fff}
.problem .what{font-weight:600}.meta{color:#555;font-size:.88em}.todo{font-size:.9em;margin-top:2px}
.todo code{background:#f0f0f0;padding:0 3px;border-radius:3px;word-break:break-word}
.allgood{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 10px}
section.group{margin:12px 0}
.group h2 small{color:#555;font-weight:400}
.check{background:#fff;border:1px solid #ddd;border-radius:6px;margin:4px 0;padding:4px 10px}
.head,summary{display:flex;flex-wrap:wrap;gap:6px;align-items:baseline;justify-content:space-between}
summary{cursor:pointer;list-style:none}summary::-webkit-details-marker{display:none}
.name{font-weight:600}.id{color:#555;overflow-wrap:anywhere}
.state{border-radius:4px;color:#fff;padding:0 6px;font-size:.85em}
.value{font-variant-numeric:tabular-nums}
.output{color:#7a4b00;margin:2px 0}.detail{color:#333;margin:2px 0;font-size:.9em}
summary .detail{flex-basis:100%}
svg.chart{width:100%;height:90px;display:block;margin-top:4px}
footer{color:#666;font-size:.85em;margin:12px 0}
@media (min-width:900px){#problems ul{display:grid;grid-template-columns:1fr 1fr;gap:0 10px}}
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

/** Text with `code` spans for the parts between backticks, every part escaped. */
function withCode(text: string): string {
  return text
    .split('`')
    .map((part, index) => (index % 2 === 1 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part)))
    .join('');
}

function chartOf(
  check: CheckResult,
  points: ChartPoint[],
  window: { from: number; to: number },
): string {
  return chartSvg(points, {
    ...window,
    label: `${check.key} ${check.componentId}`,
    ...(check.observedUnit ? { unit: check.observedUnit } : {}),
  });
}

/** A check that is not passing: a card with why, the last resume, and its chart. */
function failingCard(
  check: CheckResult,
  points: ChartPoint[],
  window: { from: number; to: number },
) {
  const status = effectiveStatus(check);
  return [
    `<section class="check" data-check="${escapeHtml(check.key)}" data-status="${status}">`,
    '<div class="head">',
    `<span><span class="name">${escapeHtml(whatOf(check.key))}</span> <span class="id">${escapeHtml(check.componentId)}</span></span>`,
    `<span><span class="value">${escapeHtml(valueText(check))}</span> <span class="state ${status}">${status}</span></span>`,
    '</div>',
    check.output ? `<p class="output">${escapeHtml(check.output)}</p>` : '',
    check.detail ? `<p class="detail">${escapeHtml(check.detail)}</p>` : '',
    chartOf(check, points, window),
    '</section>',
  ].join('');
}

/** A passing check: one compact row (with the last resume, if any); its chart opens on a click, no script. */
function healthyRow(
  check: CheckResult,
  points: ChartPoint[],
  window: { from: number; to: number },
) {
  return [
    `<details class="check" data-check="${escapeHtml(check.key)}" data-status="pass">`,
    `<summary><span><span class="name">${escapeHtml(whatOf(check.key))}</span> <span class="id">${escapeHtml(check.componentId)}</span></span>`,
    `<span><span class="value">${escapeHtml(valueText(check))}</span> <span class="state pass">pass</span></span>`,
    // The last resume stays visible on the closed row: who, when and why.
    check.detail ? `<span class="detail">${escapeHtml(check.detail)}</span>` : '',
    '</summary>',
    chartOf(check, points, window),
    '</details>',
  ].join('');
}

/** The summary at the top: every check not passing, what, which component, since when, what to do. */
function problemsSection(
  failing: readonly CheckResult[],
  total: number,
  runs: readonly ProbeRun[],
  now: number,
): string {
  if (failing.length === 0) {
    return `<section id="problems" aria-label="What is wrong"><p class="allgood">All ${total} checks pass.</p></section>`;
  }
  const items = failing.map((check) => {
    const status = effectiveStatus(check);
    const since = notPassingSince(check, runs);
    const value = valueText(check);
    return [
      `<li class="problem ${status}" data-check="${escapeHtml(check.key)}" data-component="${escapeHtml(check.componentId)}">`,
      `<div><span class="state ${status}">${status}</span> <span class="what">${escapeHtml(whatOf(check.key))}</span> <span class="id">${escapeHtml(check.componentId)}</span></div>`,
      `<div class="output">${escapeHtml([check.output, value].filter(Boolean).join(': '))}</div>`,
      `<div class="meta">since ${escapeHtml(since)} (${escapeHtml(durationText(since, now))})</div>`,
      `<div class="todo">${withCode(todoOf(check.key))}</div>`,
      '</li>',
    ].join('');
  });
  const count = failing.length === 1 ? '1 check is' : `${failing.length} checks are`;
  return [
    '<section id="problems" aria-label="What is wrong">',
    `<h2>What is wrong: ${count} not passing (of ${total})</h2>`,
    `<ul>${items.join('')}</ul>`,
    '</section>',
  ].join('');
}

const RANK: Record<HealthStatus, number> = { fail: 0, warn: 1, pass: 2 };
const byState = (a: CheckResult, b: CheckResult) =>
  RANK[effectiveStatus(a)] - RANK[effectiveStatus(b)] ||
  `${a.key}|${a.componentId}`.localeCompare(`${b.key}|${b.componentId}`);

/**
 * The status page. First what is wrong (every check not passing, what to do), then the checks grouped
 * by the part of the pipeline they watch, failing ones first as cards with a 24-hour chart, healthy
 * ones as compact rows. Self-contained (inline CSS and SVG, no script, no external asset), every
 * value escaped, laid out for a phone's width first.
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
  const pointsOf = (check: CheckResult) => series.get(`${check.key}|${check.componentId}`) ?? [];
  const sorted = [...input.checks].sort(byState);
  const failing = sorted.filter((check) => effectiveStatus(check) !== 'pass');
  const groups = PIPELINE_PARTS.map((part) => {
    const checks = sorted.filter((check) => partOf(check.key) === part.id);
    if (checks.length === 0) return '';
    const notPassing = checks.filter((check) => effectiveStatus(check) !== 'pass').length;
    return [
      `<section class="group" id="group-${part.id}">`,
      `<h2>${escapeHtml(part.title)} <small>${notPassing === 0 ? `all ${checks.length} pass` : `${notPassing} of ${checks.length} not passing`}</small></h2>`,
      ...checks.map((check) =>
        effectiveStatus(check) === 'pass'
          ? healthyRow(check, pointsOf(check), window)
          : failingCard(check, pointsOf(check), window),
      ),
      '</section>',
    ].join('');
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Connector Suite status: ${BADGE[input.status]}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    `<h1>Connector Suite <small>(${escapeHtml(input.stage)})</small></h1>`,
    `<div class="overall ${input.status}" id="overall" data-status="${input.status}">${BADGE[input.status]}: ${input.status}</div>`,
    problemsSection(failing, input.checks.length, input.runs, input.now),
    ...groups,
    `<footer>${input.runs.length} scheduled runs in the last 24 hours. Measured ${escapeHtml(new Date(input.now).toISOString())}. Chart bands: green pass, amber warn, red fail.</footer>`,
    '</main></body></html>',
  ].join('\n');
}
