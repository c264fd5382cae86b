import type { CallRecord } from '../ledger/types';
import { METADATA_CALL, METADATA_JOB } from '../messages/email-metadata';
import { retryAfterSeconds } from './postmark';

/** What one search of the provider for a call's messages came to. */
export type SearchOutcome =
  /** The messages of the call the provider lists: each with our job key and its `MessageID`. */
  | { kind: 'listed'; messages: { jobKey: string; messageId: string }[] }
  /** Failed, rate limited, timed out or unreadable: nothing can be concluded from it. */
  | { kind: 'failed'; detail: string; retryAfterSeconds?: number };

/** How the batcher reaches the provider's message search. */
export interface SearchOptions {
  baseUrl: string;
  /** One search, every page of it, within this. */
  timeoutMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Postmark's page size limit; a call has at most 500 messages, so one page normally holds it. */
const PAGE = 500;
/** Postmark lists at most 10,000 messages of a search (count + offset). */
const MAX_LISTED = 10_000;

/**
 * Lists the messages the provider took for one call (`GET /messages/outbound?metadata_cs_call=<ref>`,
 * every page), within one timeout. The token only ever goes in the request header.
 */
export async function searchCall(
  options: SearchOptions,
  token: string,
  ref: string,
): Promise<SearchOutcome> {
  const doFetch = options.fetch ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs);
  const messages: { jobKey: string; messageId: string }[] = [];
  try {
    for (let offset = 0; offset < MAX_LISTED; offset += PAGE) {
      const query = new URLSearchParams({
        count: String(PAGE),
        offset: String(offset),
        [`metadata_${METADATA_CALL}`]: ref,
      });
      const response = await doFetch(`${options.baseUrl}/messages/outbound?${query}`, {
        headers: { Accept: 'application/json', 'X-Postmark-Server-Token': token },
        signal,
      });
      const text = await response.text();
      if (response.status !== 200) {
        return {
          kind: 'failed',
          detail: `search answered ${response.status}`,
          retryAfterSeconds: retryAfterSeconds(
            response.headers.get('retry-after'),
            (options.now ?? Date.now)(),
          ),
        };
      }
      const page = readPage(text);
      if (page === undefined) return { kind: 'failed', detail: 'search answer unreadable' };
      messages.push(...page.messages);
      if (page.listed < PAGE || offset + PAGE >= page.total) return { kind: 'listed', messages };
    }
    return { kind: 'listed', messages };
  } catch (error) {
    const timedOut = (error as Error)?.name === 'TimeoutError';
    return {
      kind: 'failed',
      detail: timedOut ? `search not answered within ${options.timeoutMs} ms` : 'search failed',
    };
  }
}

/** One page of Postmark's answer: `{TotalCount, Messages: [{MessageID, Metadata}]}`. */
function readPage(
  text: string,
):
  | { total: number; listed: number; messages: { jobKey: string; messageId: string }[] }
  | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const { TotalCount, Messages } = (body ?? {}) as { TotalCount?: unknown; Messages?: unknown };
  if (typeof TotalCount !== 'number' || !Array.isArray(Messages)) return undefined;
  const messages: { jobKey: string; messageId: string }[] = [];
  for (const item of Messages as { MessageID?: unknown; Metadata?: Record<string, unknown> }[]) {
    const jobKey = item?.Metadata?.[METADATA_JOB];
    if (typeof jobKey === 'string' && typeof item.MessageID === 'string') {
      messages.push({ jobKey, messageId: item.MessageID });
    }
  }
  return { total: TotalCount, listed: Messages.length, messages };
}

/** The reconciliation's settings. */
export interface ReconcileSettings {
  /** How long after a call could last have reached the provider its search is trusted to be complete. */
  settleMs: number;
  /** How long a job may stay unreconciled before it is dead-lettered, unsent. */
  limitMs: number;
  /** The longest a call prepared at `at` may still leave (the function's timeout): for a crash. */
  callSpanMs: number;
}

/** What to do with an ambiguous job, given the searches of its calls. */
export type ReconcileVerdict =
  /** The provider has it (more than one `MessageID`: it was sent twice). */
  | { kind: 'found'; messageIds: string[] }
  /** Every call searched, nothing found, every call settled: send it. */
  | { kind: 'send' }
  /** Cannot tell yet: wait, without spending an attempt. */
  | { kind: 'wait'; seconds: number; reason: string }
  /** Unreconciled past the limit: to the DLQ, unsent. */
  | { kind: 'give-up'; reason: string };

/** When a search of `call` can be trusted to show everything the call delivered. */
export function settledAt(call: CallRecord, settings: ReconcileSettings): number {
  return (call.endedAt ?? call.at + settings.callSpanMs) + settings.settleMs;
}

/**
 * The verdict for one job: `calls` are its calls of unknown outcome, `searches` what the search of each
 * came to (missing: not searched), `key` its job key in the messages' metadata.
 */
export function reconcileVerdict(
  calls: readonly CallRecord[],
  key: string,
  searches: ReadonlyMap<string, SearchOutcome>,
  now: number,
  settings: ReconcileSettings,
): ReconcileVerdict {
  const messageIds: string[] = [];
  let failed: Extract<SearchOutcome, { kind: 'failed' }> | undefined;
  let unsearched = false;
  for (const call of calls) {
    const search = searches.get(call.ref);
    if (search === undefined) unsearched = true;
    else if (search.kind === 'failed') failed = search;
    else
      for (const message of search.messages)
        if (message.jobKey === key) messageIds.push(message.messageId);
  }
  if (messageIds.length > 0) return { kind: 'found', messageIds: [...new Set(messageIds)] };
  const first = Math.min(...calls.map((call) => call.at));
  if (now - first > settings.limitMs) {
    return {
      kind: 'give-up',
      reason: `not reconciled within ${Math.round(settings.limitMs / 3_600_000)} h of its first call of unknown outcome`,
    };
  }
  const waitFor = Math.min(settings.settleMs, 10_000) / 1000;
  if (failed) {
    return {
      kind: 'wait',
      seconds: Math.max(1, failed.retryAfterSeconds ?? waitFor),
      reason: `provider search: ${failed.detail}`,
    };
  }
  if (unsearched) return { kind: 'wait', seconds: 1, reason: 'provider search not made yet' };
  const settled = Math.max(...calls.map((call) => settledAt(call, settings)));
  if (settled > now) {
    return {
      kind: 'wait',
      seconds: Math.max(1, Math.ceil((settled - now) / 1000)),
      reason: 'a call of unknown outcome is younger than the settle window',
    };
  }
  return { kind: 'send' };
}
