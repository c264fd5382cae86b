import type { ReplayFilter } from './args';
import type { HeldMessage } from './scan';

/**
 * Attributes `sendToDeadLetterQueue` adds, and the consumers' own attempt count: a replayed job
 * starts afresh, so none of them goes back to the source queue.
 */
export const DEAD_LETTER_ATTRIBUTES: readonly string[] = [
  'reason',
  'reasonCode',
  'attempts',
  'jobId',
];

/** The reason code of a message the queue's redrive moved (it carries none). */
export const REDRIVE_REASON = 'redrive';

/** What a replay filters and reports on. */
export interface LetterFacts {
  source: string;
  eventType: string;
  reasonCode: string;
  /** The job's id: the `jobId` attribute, else the body's `id`. */
  jobId?: string;
  /** Marked `ambiguous`: some attempt may have reached the provider, so a replay may deliver twice. */
  ambiguous: boolean;
}

function bodyId(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'id' in parsed) {
      const { id } = parsed as { id: unknown };
      if (typeof id === 'string' && id.length > 0) return id;
    }
  } catch {
    // Not JSON (an invalid job): it has no id to reset.
  }
  return undefined;
}

/** The facts of a dead letter, with the defaults producers use (`api`, `unknown`). */
export function factsOf(letter: HeldMessage): LetterFacts {
  const { attributes } = letter;
  return {
    source: attributes.source ?? 'api',
    eventType: attributes.eventType ?? 'unknown',
    reasonCode: attributes.reasonCode ?? REDRIVE_REASON,
    jobId: attributes.jobId ?? bodyId(letter.body),
    ambiguous: attributes.ambiguous === 'true',
  };
}

/** Whether a dead letter passes every filter given. */
export function matches(letter: HeldMessage, filter: ReplayFilter): boolean {
  const facts = factsOf(letter);
  if (filter.source !== undefined && facts.source !== filter.source) return false;
  if (filter.eventType !== undefined && facts.eventType !== filter.eventType) return false;
  if (filter.reasonCode !== undefined && facts.reasonCode !== filter.reasonCode) return false;
  if (filter.since !== undefined && letter.sentAt < filter.since) return false;
  if (filter.until !== undefined && letter.sentAt > filter.until) return false;
  return true;
}

/** The attributes a replayed message goes back with: its own, minus the dead-letter ones. */
export function replayAttributes(letter: HeldMessage): Record<string, string> {
  const attributes = { ...letter.attributes };
  for (const name of DEAD_LETTER_ATTRIBUTES) delete attributes[name];
  return attributes;
}

/** Counts by a key, largest first: `[['stripe', 3], ['github', 1]]`. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** `stripe 3, github 1`. */
export const formatCounts = (counts: readonly [string, number][]) =>
  counts.map(([name, count]) => `${name} ${count}`).join(', ') || '-';
