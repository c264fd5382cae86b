import type { SearchOutcome } from '../../shared/email/reconcile';
import type { LedgerEntry } from '../../shared/ledger/types';
import { jobKey } from '../../shared/messages/email-metadata';

/**
 * How a replay asks the email provider about a dead-lettered job whose calls had an unknown outcome
 * (docs/dead-letters.md): the provider's message search, and how long the provider keeps messages.
 */
export interface ReplayReconciler {
  search: (callRef: string) => Promise<SearchOutcome>;
  /** The provider's message retention: an older call can no longer be found by its search. */
  retentionMs: number;
  now: () => number;
}

/** What the provider's search says of one dead-lettered job before it is replayed. */
export type ReplayCheck =
  /** No call of unknown outcome on record: replay it. */
  | { kind: 'clear' }
  /** The provider has it: recorded sent, not replayed. */
  | { kind: 'found'; messageId: string }
  /** Not found (or the search failed): replay it; the batcher asks the provider again before sending. */
  | { kind: 'not-found'; detail: string }
  /** A call older than the provider's retention: its search proves nothing, refused without --force. */
  | { kind: 'too-old'; days: number };

/** Searches every call of unknown outcome of the job (`entry`, its ledger item) at the provider. */
export async function checkBeforeReplay(
  reconciler: ReplayReconciler,
  jobId: string,
  entry: LedgerEntry | undefined,
): Promise<ReplayCheck> {
  const calls = entry?.calls ?? [];
  if (calls.length === 0) return { kind: 'clear' };
  const oldest = Math.min(...calls.map((call) => call.at));
  const age = reconciler.now() - oldest;
  if (age > reconciler.retentionMs) return { kind: 'too-old', days: Math.floor(age / 86_400_000) };
  const key = jobKey(jobId);
  const failures: string[] = [];
  for (const call of calls) {
    const outcome = await reconciler.search(call.ref);
    if (outcome.kind === 'failed') {
      failures.push(outcome.detail);
      continue;
    }
    const found = outcome.messages.find((message) => message.jobKey === key);
    if (found) return { kind: 'found', messageId: found.messageId };
  }
  return {
    kind: 'not-found',
    detail: failures.length > 0 ? `search failed: ${failures.join('; ')}` : 'not listed',
  };
}
