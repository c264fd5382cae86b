import type { Accounts } from './accounting';

/** How long the phases of a run took, in ms. */
export interface Timings {
  sending: number;
  /**
   * From the moment the last fault stopped and the last webhook was answered until every accepted job
   * was settled (or the deadline).
   */
  drainAfterFaults: number;
  drained: boolean;
}

const list = (values: Record<string, number>) =>
  Object.entries(values)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ') || 'none';

const sum = (values: Record<string, number>) =>
  Object.values(values).reduce((total, value) => total + value, 0);

/** The proof's table, in Markdown (as recorded in docs/proof.md). */
export function proofTable(accounts: Accounts, timings: Timings, title: string): string {
  const a = accounts;
  const rows: [string, string][] = [
    ['webhooks sent (deliveries)', `${a.sent} (${a.events} distinct events)`],
    ['accepted (events)', String(a.accepted)],
    ['rejected, by reason (events)', `${sum(a.rejected)} (${list(a.rejected)})`],
    [
      'given up by the sender at its deadline (events / their jobs done anyway)',
      `${a.gaveUp} / ${a.outputsOfGivenUp}`,
    ],
    ['duplicates sent / absorbed', `${a.duplicatesSent} / ${a.duplicatesAbsorbed}`],
    ['jobs the accepted events routed to', String(a.jobs)],
    ['delivered exactly once (emails + workflow executions)', String(a.delivered)],
    [
      'dead-lettered, by reason',
      `${sum(a.deadLettered)} (${list(a.deadLettered)}; ${a.notIndexed} not in the index)`,
    ],
    ['ambiguous (a call whose outcome was unknown, sent again)', String(a.ambiguous)],
    ['**lost** (target 0)', `**${a.lost.length}**`],
    [
      '**doubled** (target 0 without ambiguity, else at most the ambiguous count)',
      `**${a.doubled.length}** (${a.doubledUnexplained.length} without an ambiguous attempt)`,
    ],
    ['delivered and also dead-lettered', String(a.deliveredAndDeadLettered.length)],
    [
      'outputs of rejected events / of nothing sent',
      `${a.producedByRejected} / ${a.unexpectedOutputs}`,
    ],
    ['repeat engine calls absorbed by `Idempotency-Key`', String(a.engineKeyRepeats)],
    ['event ids answered differently from the scheme rule', String(a.identityMismatches)],
    ['sender retries, by answer', list(a.senderRetries)],
    ['faulted email provider calls, by status (0 = hung)', list(a.emailFaultsHit)],
    ['faulted engine calls, by status (-1 = hung)', list(a.engineFaultsHit)],
    ['time sending', `${(timings.sending / 1000).toFixed(1)} s`],
    [
      'time to drain after the faults stopped and sending ended',
      `${(timings.drainAfterFaults / 1000).toFixed(1)} s${timings.drained ? '' : ' (deadline reached, not drained)'}`,
    ],
  ];
  const r = a.raw;
  const rawRows: [string, string][] = [
    ['messages the email provider recorded', String(r.emailsReceived)],
    [
      'requests the engine received / executions it started (no key deduplication)',
      `${r.engineRequests} / ${r.workflowStarted}`,
    ],
    ['jobs received exactly once', String(r.deliveredOnce)],
    ['**lost** (target 0)', `**${r.lost.length}**`],
    [
      '**email doubled** (target 0: ambiguous calls are reconciled with the provider)',
      `**${r.emailDoubled.length}** (${r.emailDoubledUnexplained.length} outside an ambiguous call)`,
    ],
    ['email jobs in ambiguous calls (no answer in time)', String(r.emailAmbiguous.length)],
    [
      'delay reconciliation added to a job the provider had (call to "found"): median / p99',
      r.emailReconcileDelaysMs.length === 0
        ? '-'
        : `${seconds(percentile(r.emailReconcileDelaysMs, 0.5))} / ${seconds(percentile(r.emailReconcileDelaysMs, 0.99))} (${r.emailReconcileDelaysMs.length} jobs)`,
    ],
    [
      'provider searches / email calls not answered in time',
      `${r.emailSearches} / ${r.emailUnansweredCalls}${r.emailUnansweredCalls > 0 ? ` (${(r.emailSearches / r.emailUnansweredCalls).toFixed(1)} per call)` : ''}`,
    ],
    [
      '**workflow doubled** (started again with no unanswered call before; target 0)',
      `**${r.workflowDoubled.length}**`,
    ],
    [
      'workflow-ambiguous (called again after an unanswered call) / of them started twice',
      `${r.workflowAmbiguous.length} / ${r.workflowAmbiguousDoubled.length}`,
    ],
    [
      '**dead-lettered** (target 0: every fault of the run is retryable)',
      `**${sum(a.deadLettered)}**`,
    ],
    ['ambiguous jobs not accounted for (target 0)', String(a.ambiguousUnaccounted.length)],
  ];
  return [
    `${title}`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([figure, value]) => `| ${figure} | ${value} |`),
    '',
    `${title}, from the sandboxes' raw records (every message recorded, every engine request)`,
    '',
    '| figure | value |',
    '|---|---|',
    ...rawRows.map(([figure, value]) => `| ${figure} | ${value} |`),
  ].join('\n');
}

/** The value at fraction `q` of sorted `values`. */
function percentile(values: readonly number[], q: number): number {
  return values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? 0;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
