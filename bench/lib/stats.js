// Small statistics and formatting helpers for the benchmarks. Figures are printed, never asserted.

/**
 * Nearest-rank quantile of sorted samples.
 * @param {number[]} sorted ascending
 * @param {number} q from 0 to 1
 * @returns {number}
 */
function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return /** @type {number} */ (sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]);
}

/**
 * Median, p99, mean, min and max of a list of samples (milliseconds, say).
 * @param {number[]} samples
 */
function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * A number with a fixed count of decimals, or "n/a".
 * @param {number} value
 * @param {number} [digits]
 */
function fixed(value, digits = 2) {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/**
 * `ours / baseline` as "1.84x", or "n/a".
 * @param {number} ours
 * @param {number} baseline
 */
function ratio(ours, baseline) {
  return Number.isFinite(ours) && Number.isFinite(baseline) && baseline > 0 ? ours / baseline : NaN;
}

/**
 * A plain-text table: the first column left-aligned, the others right-aligned.
 * @param {string} title
 * @param {string[]} header
 * @param {(string | number)[][]} rows
 * @returns {string}
 */
function table(title, header, rows) {
  const cells = [header, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = header.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (/** @type {string[]} */ row) =>
    row
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [title, line(/** @type {string[]} */ (cells[0])), rule, ...cells.slice(1).map(line)].join(
    '\n',
  );
}

module.exports = { quantile, summarize, fixed, ratio, table };
