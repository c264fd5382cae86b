import { METADATA_LIMITS } from '../../shared/messages/email-metadata';
import type { EmailJob, JobAttributes, WorkflowJob } from '../../shared/messages/jobs';
import type { OutgoingMessage } from '../../shared/queue/send-messages';
import type { EmailTemplate, Source, SourceCatalog } from '../../shared/sources/catalog';
import { hasUnsafeCharacters } from '../../shared/text/unsafe-characters';
import type { EventIdentity } from './event-identity';
import { type Payload, valueAt } from './request';

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
  /** `unfillable-template` (a placeholder has no value) or `invalid-job` (a value is refused). */
  reasonCode: 'unfillable-template' | 'invalid-job';
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
/** `{{{path}}}`: the one raw (unescaped) form, for an `htmlBody` author who means markup. */
const RAW_PLACEHOLDER = /\{\{\{\s*([\w.-]+)\s*\}\}\}/g;

/** Where a rendered value goes, which decides how it is escaped or refused. */
type Context = 'address' | 'header' | 'html' | 'text';

/** What rendering found: paths with no value, and why a value may not be placed where it goes. */
interface RenderProblems {
  missing: Set<string>;
  /** `<field> (from <path>) <why>`, one entry each. */
  invalid: Set<string>;
  /** The length cap of one placeholder's value, in characters. */
  maxValueChars: number;
}

/** Rendering limits; `maxValueChars` is the ingest setting `TEMPLATE_VALUE_MAX_CHARS`. */
export interface RenderLimits {
  maxValueChars: number;
}

/** The default length cap of one placeholder's value (`TEMPLATE_VALUE_MAX_CHARS`). */
export const DEFAULT_TEMPLATE_VALUE_MAX_CHARS = 2000;

/**
 * An `htmlBody` placeholder that starts the value of a URL attribute (`href="{{url}}"`): the value
 * decides the link's scheme, so it must be an absolute `https:` or `mailto:` URL (a `javascript:`
 * or `data:` URL is refused). A placeholder after a fixed start (`href="https://x.test/{{id}}"`)
 * cannot change the scheme and is only escaped. Start-up refuses placeholders in unquoted
 * attributes, so the quote is always there.
 */
const URL_ATTRIBUTE_START =
  /[\s"'/](?:href|src|action|formaction|poster|cite|background|xlink:href|data|ping|longdesc|lowsrc|dynsrc|codebase|manifest|icon)\s*=\s*["']\s*$/i;
const SAFE_URL_SCHEMES = new Set(['https:', 'mailto:']);

/** Whether `value` parses, as a browser would, as an absolute https: or mailto: URL. */
function isSafeUrl(value: string): boolean {
  try {
    return SAFE_URL_SCHEMES.has(new URL(value).protocol);
  } catch {
    return false;
  }
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

// Hand-written (a five-character table): escaping text and quoted attribute values needs no library.
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A value placed into `to`/`from` must stay one address: these would split it or break out of it. */
const ADDRESS_BREAKERS = /[,;<>"]/;

function placeholderValue(
  field: string,
  payload: Payload,
  path: string,
  problems: RenderProblems,
): string | undefined {
  const value = valueAt(payload, path);
  if (typeof value !== 'string' && typeof value !== 'number') {
    problems.missing.add(path);
    return undefined;
  }
  const text = String(value);
  if (text.length > problems.maxValueChars) {
    problems.invalid.add(
      `${field} (from ${path}) is longer than ${problems.maxValueChars} characters`,
    );
    return undefined;
  }
  return text;
}

/**
 * Fills `{{path}}` from the payload for its context: HTML-escaped in an HTML body, refused in an
 * address when it would split or break out of one address, refused in a header when it holds a
 * control, bidirectional or zero-width character. Collects the paths that have no string or number
 * value and the fields a value was refused in.
 */
function render(
  field: string,
  template: string,
  context: Context,
  payload: Payload,
  problems: RenderProblems,
): string {
  const raw =
    context === 'html'
      ? template.replace(RAW_PLACEHOLDER, (_, path: string) => {
          return placeholderValue(field, payload, path, problems) ?? '';
        })
      : template;
  return raw.replace(PLACEHOLDER, (_, path: string, offset: number) => {
    const value = placeholderValue(field, payload, path, problems);
    if (value === undefined) return '';
    if (context === 'html') {
      if (
        URL_ATTRIBUTE_START.test(raw.slice(Math.max(0, offset - 80), offset)) &&
        !isSafeUrl(value)
      ) {
        problems.invalid.add(
          `${field} (from ${path}) would be a link that is not https: or mailto:`,
        );
        return '';
      }
      return escapeHtml(value);
    }
    if (context === 'text') return value;
    if (hasUnsafeCharacters(value) || (context === 'address' && ADDRESS_BREAKERS.test(value))) {
      problems.invalid.add(
        `${field} (from ${path}) would hold more than one address, a quote, an angle bracket or a control character`,
      );
      return '';
    }
    return value;
  });
}

function emailJob(id: string, template: EmailTemplate, payload: Payload, problems: RenderProblems) {
  const job: EmailJob = {
    id,
    from: render('from', template.from, 'address', payload, problems),
    to: render('to', template.to, 'address', payload, problems),
    subject: render('subject', template.subject, 'header', payload, problems),
  };
  const contexts = { htmlBody: 'html', textBody: 'text', tag: 'header', messageStream: 'header' };
  for (const key of ['htmlBody', 'textBody', 'tag', 'messageStream'] as const) {
    const value = template[key];
    if (value !== undefined) {
      job[key] = render(key, value, contexts[key] as Context, payload, problems);
    }
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
  limits: RenderLimits = { maxValueChars: DEFAULT_TEMPLATE_VALUE_MAX_CHARS },
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
    const problems: RenderProblems = {
      missing: new Set(),
      invalid: new Set(),
      maxValueChars: limits.maxValueChars,
    };
    const job = emailJob(id, template, payload, problems);
    // Metadata values reach the provider, which takes at most 80 characters each (the job schema
    // refuses longer ones): long event ids and types are cut, they only label the message.
    job.metadata = {
      source: source.name.slice(0, METADATA_LIMITS.valueLength),
      eventType: identity.eventType.slice(0, METADATA_LIMITS.valueLength),
      eventId: identity.eventId.slice(0, METADATA_LIMITS.valueLength),
    };
    job.correlationId = facts.correlationId;
    if (problems.missing.size === 0 && problems.invalid.size === 0) {
      result.messages.push({
        queueUrl: queues.emailJobs,
        body: JSON.stringify(job),
        attributes,
        jobId: id,
      });
      continue;
    }
    const reasons: string[] = [];
    if (problems.missing.size > 0) {
      reasons.push(
        `template "${destination.template}" has no value for ${[...problems.missing].join(', ')}`,
      );
    }
    if (problems.invalid.size > 0) {
      reasons.push(`invalid email job: ${[...problems.invalid].join('; ')}`);
    }
    const reason = reasons.join('; ');
    const reasonCode = problems.invalid.size > 0 ? 'invalid-job' : 'unfillable-template';
    result.deadLettered.push({
      route: route.to,
      reason,
      reasonCode,
      jobId: id,
      body: JSON.stringify(job),
      attributes,
    });
  }
  return result;
}
