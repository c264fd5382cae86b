import { createHash } from 'node:crypto';

/**
 * The metadata the email batcher adds to every message it sends, so that the provider can be asked
 * later which messages it took (Postmark: `Metadata`, searched with `metadata_<name>=<value>`).
 * Postmark allows about 10 fields per message, names up to 20 characters and values up to 80: our two
 * fields fit, and the job schema keeps a job's own metadata to what fits beside them.
 */
export const METADATA_JOB = 'cs_job';
export const METADATA_CALL = 'cs_call';

/** Names a job's own metadata may not use (ours, and any we add later). */
export const RESERVED_METADATA_PREFIX = 'cs_';

/** Postmark's limits on metadata, and how many fields a job may use itself. */
export const METADATA_LIMITS = Object.freeze({
  fields: 10,
  jobFields: 8,
  nameLength: 20,
  valueLength: 80,
});

/**
 * A short, collision-safe form of a job id that fits a metadata value: 192 bits of its SHA-256
 * (job ids run to 512 characters, values to 80), so two jobs of one account never share it.
 */
export function jobKey(jobId: string): string {
  return createHash('sha256').update(jobId).digest('base64url').slice(0, 32);
}
