import { createHash } from 'node:crypto';
import { hasUnsafeCharacters } from '../text/unsafe-characters';
import * as z from '../validation/zod';
import { METADATA_LIMITS, RESERVED_METADATA_PREFIX } from './email-metadata';
import type { EmailJob } from './jobs';

/** Postmark's limit on recipients of one message (To, Cc and Bcc together; jobs only have To). */
export const MAX_RECIPIENTS = 50;

// Deliberately plain: the provider has the last word on deliverability; this catches what can never
// be an address (no @, spaces, a missing domain) before a call is spent on it.
const BARE_ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;".]+$/;
const NAMED_ADDRESS = /^(?:"[^"]*"|[^<>"]*?)\s*<([^<>]+)>$/;

/** Whether `value` is `addr@example.com` or `Name <addr@example.com>`. */
export function isEmailAddress(value: string): boolean {
  const trimmed = value.trim();
  const named = NAMED_ADDRESS.exec(trimmed);
  return BARE_ADDRESS.test(named ? (named[1] ?? '').trim() : trimmed);
}

/**
 * Splits recipients as Postmark reads them: a list, or one string with commas between addresses
 * (commas inside a quoted display name do not split).
 */
export function recipientsOf(to: string | readonly string[]): string[] {
  const parts = typeof to === 'string' ? [to] : [...to];
  return parts
    .flatMap((part) => part.match(/(?:"[^"]*"|[^,])+/g) ?? [])
    .map((address) => address.trim())
    .filter((address) => address !== '');
}

const CONTROLS_MESSAGE = 'holds a control, bidirectional or zero-width character';

/** A string that becomes a header or metadata: no control, bidi override or zero-width character. */
const headerText = () =>
  z.string().check(z.refine((value) => !hasUnsafeCharacters(value), CONTROLS_MESSAGE));

const address = headerText().check(
  z.refine(isEmailAddress, { message: 'is not an email address' }),
);

/** The email job contract (docs/email.md, "The job"), checked before anything is spent on a job. */
export const emailJobSchema = z
  .object({
    id: z.string().check(z.trim(), z.minLength(1), z.maxLength(512)),
    from: address,
    to: z.union([headerText(), z.array(headerText()).check(z.minLength(1))]),
    subject: headerText().check(
      z.trim(),
      z.minLength(1, { message: 'is empty' }),
      z.maxLength(2000),
    ),
    htmlBody: z.optional(z.string()),
    textBody: z.optional(z.string()),
    tag: z.optional(headerText().check(z.maxLength(1000))),
    metadata: z.optional(z.record(headerText(), headerText())),
    messageStream: z.optional(headerText().check(z.minLength(1), z.maxLength(100))),
    correlationId: z.optional(z.string().check(z.maxLength(200))),
  })
  .check(
    z.superRefine((job, context) => {
      const recipients = recipientsOf(job.to);
      if (recipients.length === 0) {
        context.addIssue({ code: 'custom', path: ['to'], message: 'has no recipient' });
      }
      if (recipients.length > MAX_RECIPIENTS) {
        context.addIssue({
          code: 'custom',
          path: ['to'],
          message: `has ${recipients.length} recipients, over the limit of ${MAX_RECIPIENTS}`,
        });
      }
      const invalid = recipients.filter((recipient) => !isEmailAddress(recipient));
      if (invalid.length > 0) {
        context.addIssue({
          code: 'custom',
          path: ['to'],
          message: `has ${invalid.length} value(s) that are not email addresses`,
        });
      }
      checkMetadata(job.metadata, context);
      if (!job.htmlBody?.trim() && !job.textBody?.trim()) {
        context.addIssue({
          code: 'custom',
          path: ['htmlBody'],
          message: 'no htmlBody or textBody',
        });
      }
    }),
  );

/**
 * A job's own metadata must leave room for ours (docs/email.md, "The job"): at most 8 fields, names up to 20
 * characters that do not start with `cs_` (reserved), values up to 80 characters, as Postmark takes
 * them. Names and values are never echoed in the reason.
 */
function checkMetadata(
  metadata: Record<string, string> | undefined,
  context: z.core.$RefinementCtx,
) {
  if (metadata === undefined) return;
  const names = Object.keys(metadata);
  const problem = (message: string) =>
    context.addIssue({ code: 'custom', path: ['metadata'], message });
  if (names.length > METADATA_LIMITS.jobFields) {
    problem(
      `has ${names.length} fields, over the limit of ${METADATA_LIMITS.jobFields} (the provider takes ${METADATA_LIMITS.fields}, and the batcher adds its own)`,
    );
  }
  if (names.some((name) => name.toLowerCase().startsWith(RESERVED_METADATA_PREFIX))) {
    problem(`has a name starting with "${RESERVED_METADATA_PREFIX}", which is reserved`);
  }
  if (names.some((name) => name.length === 0 || name.length > METADATA_LIMITS.nameLength)) {
    problem(`has a name that is empty or longer than ${METADATA_LIMITS.nameLength} characters`);
  }
  if (Object.values(metadata).some((value) => value.length > METADATA_LIMITS.valueLength)) {
    problem(`has a value longer than ${METADATA_LIMITS.valueLength} characters`);
  }
}

/** The outcome of checking one message body against the contract. */
export type EmailJobParse = { ok: true; job: EmailJob } | { ok: false; reason: string };

/**
 * Parses and checks a queue message body. The reason is readable and names fields, never values (a
 * body may hold personal data).
 */
export function parseEmailJob(body: string): EmailJobParse {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'the message body is not JSON' };
  }
  const result = emailJobSchema.safeParse(data);
  if (result.success) return { ok: true, job: result.data };
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'invalid_key') {
      // The key itself is the bad value: name the record, never echo the key.
      const record = issue.path.slice(0, -1).map(String).join('.') || 'job';
      return `${record} has a name that ${CONTROLS_MESSAGE}`;
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'job';
    return `${field} ${issue.code === 'invalid_type' ? 'is missing or of the wrong type' : issue.message}`;
  });
  return { ok: false, reason: `invalid email job: ${[...new Set(problems)].join('; ')}` };
}

/**
 * A hash of what defines the email that is sent (addresses, subject, bodies, tag, stream): two jobs
 * under one id with different fingerprints are a producer error. Delivery facts (`correlationId`,
 * metadata such as when it was received) are left out, so a re-enqueued job still matches.
 */
export function emailJobFingerprint(job: EmailJob): string {
  const defining = [
    job.from.trim(),
    recipientsOf(job.to),
    job.subject,
    job.htmlBody ?? null,
    job.textBody ?? null,
    job.tag ?? null,
    job.messageStream ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(defining)).digest('base64url');
}
