import type { SQSRecord } from 'aws-lambda';
import { emailJobFingerprint, parseEmailJob } from '../../shared/messages/email-job-schema';
import type { EmailJob } from '../../shared/messages/jobs';

/** A valid job of the batch, first of its id. */
export interface BatchJob {
  record: SQSRecord;
  job: EmailJob;
  fingerprint: string;
  correlationId: string;
}

/** A batch sorted out before anything is spent on it. */
export interface PreparedBatch {
  jobs: BatchJob[];
  /** Records that fail the contract, or reuse an id of this batch with other content. */
  rejected: { record: SQSRecord; reason: string; reasonCode: string; jobId?: string }[];
  /** Records repeating a job of this batch exactly: acknowledged, the first one carries the job. */
  duplicates: { record: SQSRecord; jobId: string }[];
}

/** The correlation id: the message attribute, the job's own, or the SQS message id. */
export function correlationIdOf(record: SQSRecord, job?: EmailJob): string {
  return (
    record.messageAttributes?.correlationId?.stringValue ?? job?.correlationId ?? record.messageId
  );
}

/**
 * Validates every record and folds duplicates inside the batch: the same id with the same content is
 * sent once; the same id with other content is a producer error.
 */
export function prepareBatch(records: readonly SQSRecord[]): PreparedBatch {
  const batch: PreparedBatch = { jobs: [], rejected: [], duplicates: [] };
  const byId = new Map<string, BatchJob>();
  for (const record of records) {
    const parsed = parseEmailJob(record.body);
    if (!parsed.ok) {
      batch.rejected.push({ record, reason: parsed.reason, reasonCode: 'invalid-job' });
      continue;
    }
    const { job } = parsed;
    const fingerprint = emailJobFingerprint(job);
    const first = byId.get(job.id);
    if (first && first.fingerprint === fingerprint) {
      batch.duplicates.push({ record, jobId: job.id });
    } else if (first) {
      batch.rejected.push({
        record,
        jobId: job.id,
        reasonCode: 'reused-id',
        reason: `id "${job.id}" was already used for an email with other content (addresses, subject, bodies, tag or stream)`,
      });
    } else {
      const entry = { record, job, fingerprint, correlationId: correlationIdOf(record, job) };
      byId.set(job.id, entry);
      batch.jobs.push(entry);
    }
  }
  return batch;
}
