import type { EmailJob, JobAttributes, WorkflowJob } from '../../shared/messages/jobs';
import type { OutgoingMessage } from '../../shared/queue/send-messages';
import type { EventIdentity } from './event-identity';
import { type Payload, valueAt } from './request';
import type { EmailTemplate, Source, SourceCatalog } from './sources';

/** Queue URLs a route can lead to. */
export interface RouteQueues {
  emailJobs: string;
  emailJobsDlq: string;
  workflowJobs: string;
}

/** What one verified event turns into. */
export interface RoutedEvent {
  messages: OutgoingMessage[];
  /** Routes that can never succeed: their job goes straight to its dead-letter queue, with why. */
  deadLettered: DeadRoute[];
}

/** A route's job that can never succeed, bound for its queue's DLQ. */
export interface DeadRoute {
  route: string;
  reason: string;
  jobId: string;
  /** The job as it would have been enqueued, and its attributes. */
  body: string;
  attributes: JobAttributes;
}

/** Facts about the delivery that every message carries. */
export interface DeliveryFacts {
  correlationId: string;
  receivedAt: string;
}

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/** Fills `{{path}}` from the payload; collects the paths that have no string or number value. */
function render(template: string, payload: Payload, missing: Set<string>): string {
  return template.replace(PLACEHOLDER, (_, path: string) => {
    const value = valueAt(payload, path);
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    missing.add(path);
    return '';
  });
}

function emailJob(id: string, template: EmailTemplate, payload: Payload, missing: Set<string>) {
  const job: EmailJob = {
    id,
    from: render(template.from, payload, missing),
    to: render(template.to, payload, missing),
    subject: render(template.subject, payload, missing),
  };
  for (const key of ['htmlBody', 'textBody', 'tag', 'messageStream'] as const) {
    const value = template[key];
    if (value !== undefined) job[key] = render(value, payload, missing);
  }
  return job;
}

/**
 * Turns a verified event into one message per matching route, with deterministic ids
 * (`<source>:<eventId>:<route>`) so a redelivery is absorbed downstream. An email whose template
 * cannot be filled from this event can never succeed: it goes to the email DLQ at once, with a reason.
 */
export function routeEvent(
  source: Source,
  catalog: SourceCatalog,
  identity: EventIdentity,
  payload: Payload,
  facts: DeliveryFacts,
  queues: RouteQueues,
): RoutedEvent {
  const attributes: JobAttributes = {
    correlationId: facts.correlationId,
    source: source.name,
    eventType: identity.eventType,
  };
  const result: RoutedEvent = { messages: [], deadLettered: [] };
  for (const route of source.routes) {
    if (!route.matches(identity.eventType)) continue;
    const id = `${source.name}:${identity.eventId}:${route.to}`;
    const { destination } = route;
    if (destination.kind === 'workflow') {
      const job: WorkflowJob = {
        id,
        workflow: destination.name,
        input: {
          source: source.name,
          eventType: identity.eventType,
          eventId: identity.eventId,
          receivedAt: facts.receivedAt,
          payload,
        },
        correlationId: facts.correlationId,
      };
      result.messages.push({
        queueUrl: queues.workflowJobs,
        body: JSON.stringify(job),
        attributes,
        jobId: id,
      });
      continue;
    }
    const template = catalog.emailTemplates.get(destination.template) as EmailTemplate;
    const missing = new Set<string>();
    const job = emailJob(id, template, payload, missing);
    job.metadata = {
      source: source.name,
      eventType: identity.eventType,
      eventId: identity.eventId,
    };
    job.correlationId = facts.correlationId;
    if (missing.size === 0) {
      result.messages.push({
        queueUrl: queues.emailJobs,
        body: JSON.stringify(job),
        attributes,
        jobId: id,
      });
      continue;
    }
    const reason = `template "${destination.template}" has no value for ${[...missing].join(', ')}`;
    result.deadLettered.push({
      route: route.to,
      reason,
      jobId: id,
      body: JSON.stringify(job),
      attributes,
    });
  }
  return result;
}
