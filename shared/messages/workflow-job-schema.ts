import { createHash } from 'node:crypto';
import { isRawJsonNumber, parseJsonExact } from '../json/exact';
import * as z from '../validation/zod';
import type { WorkflowJob } from './jobs';

/** A workflow job as the queue carries it (docs/workflows.md, "Job schema"). */
export const workflowJobSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(512)),
  workflow: z.string().check(z.minLength(1), z.maxLength(64)),
  // A number kept exact (parseJsonExact) is a frozen object: refused here as the number it is.
  input: z.pipe(
    z.custom<Record<string, unknown>>((input) => !isRawJsonNumber(input)),
    z.record(z.string(), z.unknown()),
  ),
  correlationId: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
});

/** Parses a queue body into a workflow job, or says why it can never be one. */
export function parseWorkflowJob(
  body: string,
): { ok: true; job: WorkflowJob } | { ok: false; reason: string; jobId?: string } {
  let value: unknown;
  try {
    // Numbers a double would change stay as their text: the fingerprint and the engine see them exact.
    value = parseJsonExact(body);
  } catch {
    return { ok: false, reason: 'the body is not JSON' };
  }
  const parsed = workflowJobSchema.safeParse(value);
  if (parsed.success) return { ok: true, job: parsed.data };
  const id = (value as { id?: unknown } | null)?.id;
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(job)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason, ...(typeof id === 'string' ? { jobId: id } : {}) };
}

/**
 * What defines a job's effect: its workflow and input, not delivery facts such as the correlation id
 * or the input's `receivedAt` (a webhook retried after a `503` is enqueued again under the same id
 * with a later `receivedAt`, and must be absorbed, not dead-lettered as a reused id).
 * A reused id with another fingerprint is a producer error.
 */
export function workflowJobFingerprint(job: Pick<WorkflowJob, 'workflow' | 'input'>): string {
  const { receivedAt: _deliveryFact, ...input } = job.input;
  const digest = createHash('sha256')
    .update(canonicalJson([job.workflow, input]))
    .digest('base64url');
  return `v2:${digest}`;
}

/**
 * The version-1 fingerprint (key order mattered), still accepted for a job stored under it: ledger
 * records live for days, and such a job must not be dead-lettered as a reused id.
 */
export function legacyWorkflowJobFingerprint(job: Pick<WorkflowJob, 'workflow' | 'input'>): string {
  const { receivedAt: _deliveryFact, ...input } = job.input;
  // Version 1 saw numbers as doubles: an exact number is folded back into one, as it was then.
  const asDoubles = (_key: string, value: unknown) =>
    isRawJsonNumber(value) ? Number(value.rawJSON) : value;
  return createHash('sha256')
    .update(JSON.stringify([job.workflow, input], asDoubles))
    .digest('base64url');
}

/**
 * JSON with object keys sorted and no whitespace, so two spellings of one value compare equal; a
 * number kept exact (`parseJsonExact`) is compared by its source text, so two numbers beyond 2^53
 * never collapse into one.
 * Hand-written: a dozen lines over JSON.stringify, which already escapes strings canonically.
 */
export function canonicalJson(value: unknown): string {
  if (isRawJsonNumber(value)) return value.rawJSON;
  if (Array.isArray(value))
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
