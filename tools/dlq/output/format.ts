import type { DlqCounts, ShownLetter } from '../inspect';
import { formatCounts } from '../letters';
import type { ReplaySummary } from '../replay';

/** `list` as text: one block per DLQ. */
export function formatCountsReport(all: readonly DlqCounts[]): string {
  return all
    .map((counts) =>
      [
        `${counts.queue} (${counts.dlq})`,
        `  in the DLQ: ${counts.inQueue} (${counts.inFlight} in flight)   indexed: ${counts.indexed}` +
          `   not indexed (queue redrive): ${counts.unindexed}`,
        `  oldest: ${counts.oldest ?? '-'}   newest: ${counts.newest ?? '-'}`,
        `  by reason: ${formatCounts(counts.byReason)}`,
        `  by source: ${formatCounts(counts.bySource)}`,
        `  by type:   ${formatCounts(counts.byType)}`,
      ].join('\n'),
    )
    .join('\n\n');
}

/** `show` as text: one block per dead letter, newest first. */
export function formatShown(queue: string, letters: readonly ShownLetter[]): string {
  if (letters.length === 0) return `${queue}: no indexed dead letters`;
  return letters
    .map((letter) => {
      const lines = [
        `${letter.at}  ${letter.dlqMessageId}  ${letter.reasonCode}`,
        `  reason:      ${letter.reason}`,
        `  source/type: ${letter.source} / ${letter.eventType}`,
        `  job:         ${letter.jobId ?? '-'}   correlation: ${letter.correlationId ?? '-'}`,
        `  attempts:    ${letter.attempts}`,
      ];
      if (letter.ambiguous) {
        lines.push(
          '  AMBIGUOUS:   an attempt ended without an answer; the provider may already have it',
        );
      }
      if (letter.ledger) {
        lines.push(`  ledger:      ${letter.ledger.status}, ${letter.ledger.attempts} attempt(s)`);
        for (const note of letter.ledger.history) lines.push(`    ${note}`);
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

const rate = (count: number, seconds: number) => (seconds > 0 ? (count / seconds).toFixed(1) : '-');

/** What a replay did, as text. */
export function formatReplay(summary: ReplaySummary, dryRun: boolean): string {
  const lines = dryRun
    ? [
        `dry run: ${summary.matched} of ${summary.scanned} dead letter(s) would be replayed; nothing changed`,
        `  of which ${summary.alreadySent} already succeeded (the consumer would absorb them)`,
        `  of which ${summary.ambiguous} ambiguous (the provider may already have them)`,
      ]
    : [
        `replayed ${summary.replayed} of ${summary.matched} matching (${summary.scanned} scanned) ` +
          `in ${summary.seconds.toFixed(1)} s (sending ${summary.replaySeconds.toFixed(1)} s, ` +
          `${rate(summary.replayed, summary.replaySeconds)}/s)`,
        `  already succeeded (absorbed by the consumer): ${summary.alreadySent}`,
        `  ambiguous (the provider may already have them): ${summary.ambiguous}`,
        `  found at the provider (recorded sent, not replayed): ${summary.foundAtProvider}`,
        `  left in the DLQ, a call older than the provider's retention (--force sends): ${summary.refusedTooOld}`,
        `  idempotency records cleared (--force): ${summary.cleared}`,
        `  failed (left in the DLQ): ${summary.failed}   not started: ${summary.skipped}`,
      ];
  lines.push(
    `  by reason: ${formatCounts(summary.byReason)}`,
    `  by source: ${formatCounts(summary.bySource)}`,
    `  by type:   ${formatCounts(summary.byType)}`,
  );
  return lines.join('\n');
}
