/**
 * Resuming on purpose: what an operator's command (or a new version of a token secret) writes into a
 * breaker's or a pause's state item, so the next call is a half-open trial at once instead of after
 * the cool-down, and `/status` can say who resumed, when and why.
 */

/** Who asked for the resume: an operator through `npm run resume`, or a new token version. */
export type ResumeVia = 'command' | 'new-token-version';

/** What a resume records. `by` and `reason` are shown on `/status` (escaped there). */
export interface ResumeNote {
  via: ResumeVia;
  by: string;
  reason: string;
}

/** The resume fields of a state item, as the probe reads them. */
export interface ResumeRecord extends ResumeNote {
  /** ISO time of the resume. */
  at: string;
  /** Resumes recorded on this item so far. */
  count: number;
}

/** Longest `by` and `reason` kept: the item stays small and the page readable. */
const MAX_TEXT = 200;

/** `by` and `reason` cut to size, with control characters replaced (they go to a page and logs). */
export function cleanNote(note: ResumeNote): ResumeNote {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
  const clean = (text: string) => text.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_TEXT);
  return { via: note.via, by: clean(note.by), reason: clean(note.reason) };
}

/**
 * The update parts every resume writes: `resumePending` (taken, and counted, by the consumer that
 * gets the trial), who, when and why, and a running count.
 */
export function resumeUpdate(note: ResumeNote, now: number) {
  const clean = cleanNote(note);
  return {
    set: '#resumePending = :via, #resumedBy = :by, #resumedAt = :at, #resumeReason = :why, #resumeVia = :via',
    add: '#resumeCount :one',
    names: {
      '#resumePending': 'resumePending',
      '#resumedBy': 'resumedBy',
      '#resumedAt': 'resumedAt',
      '#resumeReason': 'resumeReason',
      '#resumeVia': 'resumeVia',
      '#resumeCount': 'resumeCount',
    },
    values: {
      ':via': clean.via,
      ':by': clean.by,
      ':at': new Date(now).toISOString(),
      ':why': clean.reason,
      ':one': 1,
    },
  };
}

/** The last resume recorded on a state item, if any. */
export function resumeRecordOf(
  item: Record<string, unknown> | undefined,
): ResumeRecord | undefined {
  if (!item || typeof item.resumedAt !== 'string') return undefined;
  return {
    via: item.resumeVia === 'new-token-version' ? 'new-token-version' : 'command',
    by: String(item.resumedBy ?? ''),
    reason: String(item.resumeReason ?? ''),
    at: item.resumedAt,
    count: Number(item.resumeCount ?? 0),
  };
}

/** How long a job held for a breaker or a pause waits before it looks again, at most. */
export const DEFAULT_HOLD_RECHECK_SECONDS = 20;
