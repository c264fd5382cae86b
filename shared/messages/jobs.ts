/**
 * The queue contracts (docs/http-contract.md, "Queues"). Every message carries a deterministic `id` (the
 * source event's id plus the route), so a duplicate upstream is absorbed downstream by idempotency.
 */

/** A message for the `email-jobs` queue. */
export interface EmailJob {
  id: string;
  from: string;
  to: string | string[];
  subject: string;
  htmlBody?: string;
  textBody?: string;
  tag?: string;
  metadata?: Record<string, string>;
  messageStream?: string;
  correlationId?: string;
}

/** A message for the `workflow-jobs` queue. */
export interface WorkflowJob {
  id: string;
  workflow: string;
  input: Record<string, unknown>;
  correlationId?: string;
}

/** String message attributes that travel with every message (a type, so it fits a string record). */
export type JobAttributes = {
  correlationId: string;
  source: string;
  eventType: string;
};

/** Attributes a message carries on its way to a dead-letter queue. */
export interface DeadLetterAttributes {
  reason: string;
  attempts: number;
}
