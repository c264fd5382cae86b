import type { HealthStatus } from '../health';

/** One point of a check's history. */
export interface ChartPoint {
  at: number;
  value?: number;
  status: HealthStatus;
}

const COLOURS: Record<HealthStatus, string> = { pass: '#2e9e5b', warn: '#e0a526', fail: '#d64545' };
const RANK: Record<HealthStatus, number> = { pass: 0, warn: 1, fail: 2 };
const WIDTH = 600;
const HEIGHT = 110;
const TOP = 14;
const BOTTOM = 96;

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Groups points into `buckets` equal slices of the window: the worst state and highest value win. */
export function downsample(
  points: readonly ChartPoint[],
  from: number,
  to: number,
  buckets: number,
) {
  const span = (to - from) / buckets;
  const slices = new Map<number, ChartPoint>();
  for (const point of points) {
    if (point.at < from || point.at > to) continue;
    const index = Math.min(buckets - 1, Math.floor((point.at - from) / span));
    const slice = slices.get(index);
    if (!slice) {
      slices.set(index, { ...point, at: from + index * span });
      continue;
    }
    if (RANK[point.status] > RANK[slice.status]) slice.status = point.status;
    if (point.value !== undefined) slice.value = Math.max(slice.value ?? point.value, point.value);
  }
  return { span, slices: [...slices.entries()].sort(([a], [b]) => a - b) };
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : String(Math.round(n * 10) / 10));

/**
 * An inline SVG of one check over the window: its state as coloured bands behind, its value as a
 * line. No script and no external reference, so the page works under a `default-src 'none'` policy.
 */
export function chartSvg(
  points: readonly ChartPoint[],
  options: { from: number; to: number; unit?: string; label: string; buckets?: number },
): string {
  const buckets = options.buckets ?? 288;
  const { span, slices } = downsample(points, options.from, options.to, buckets);
  const x = (at: number) => ((at - options.from) / (options.to - options.from)) * WIDTH;
  const values = slices.map(([, p]) => p.value).filter((v): v is number => v !== undefined);
  const max = Math.max(1, ...values);
  const y = (v: number) => BOTTOM - (v / max) * (BOTTOM - TOP);
  const bands = slices
    .map(([, p]) => {
      const left = x(p.at).toFixed(1);
      const width = Math.max(1, x(p.at + span) - x(p.at)).toFixed(1);
      return `<rect x="${left}" y="${TOP}" width="${width}" height="${BOTTOM - TOP}" fill="${COLOURS[p.status]}" fill-opacity="0.28"><title>${p.status}</title></rect>`;
    })
    .join('');
  const line = slices
    .filter(([, p]) => p.value !== undefined)
    .map(([, p]) => `${(x(p.at) + x(p.at + span)) / 2},${y(p.value as number).toFixed(1)}`)
    .join(' ');
  const unit = options.unit ? ` ${escapeHtml(options.unit)}` : '';
  const label = escapeHtml(options.label);
  return [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${label}, last 24 hours" preserveAspectRatio="none">`,
    `<rect x="0" y="${TOP}" width="${WIDTH}" height="${BOTTOM - TOP}" fill="#f2f2f2"/>`,
    bands,
    line ? `<polyline points="${line}" fill="none" stroke="#1d3b6a" stroke-width="1.5"/>` : '',
    `<text x="2" y="11" font-size="10" fill="#555">max ${fmt(max)}${unit}</text>`,
    `<text x="2" y="${HEIGHT - 2}" font-size="10" fill="#555">24 h ago</text>`,
    `<text x="${WIDTH - 2}" y="${HEIGHT - 2}" font-size="10" fill="#555" text-anchor="end">now</text>`,
    '</svg>',
  ].join('');
}
