// A job's history: its first and last lines are kept, the ones between only counted.

/** History lines kept at each end of a job's history; the lines between are only counted. */
export const HISTORY_ENDS = 10;

/** `lines` with only its first and last {@link HISTORY_ENDS} kept. */
export function keepHistoryEnds(lines: readonly string[]): string[] {
  if (lines.length <= 2 * HISTORY_ENDS) return [...lines];
  return [...lines.slice(0, HISTORY_ENDS), ...lines.slice(-HISTORY_ENDS)];
}

/**
 * A job's history to show: the kept lines, with a line in the middle saying how many of the
 * `count` lines written were left out.
 */
export function showHistory(lines: readonly string[], count = lines.length): string[] {
  const left = count - lines.length;
  if (left <= 0 || lines.length < 2 * HISTORY_ENDS) return [...lines];
  return [
    ...lines.slice(0, HISTORY_ENDS),
    `... ${left} line(s) left out ...`,
    ...lines.slice(HISTORY_ENDS),
  ];
}
