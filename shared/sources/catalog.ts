import { ConfigError } from '../errors';
import { DEFAULT_GENERIC_HEADER, isScheme, type Scheme, schemes } from './schemes';

/** Where a route sends an event: a workflow by name, or an email rendered from a template. */
export type Destination = { kind: 'workflow'; name: string } | { kind: 'email'; template: string };

/** One routing rule: event types matching `pattern` (`*` matches any run of characters). */
export interface Route {
  pattern: string;
  /** The destination as configured, such as `workflow:payments`; part of each message id. */
  to: string;
  destination: Destination;
  matches: (eventType: string) => boolean;
}

/** A third party that sends webhooks, validated and with defaults filled in. */
export interface Source {
  name: string;
  scheme: Scheme;
  secretName: string;
  toleranceSeconds: number;
  /** Abuse ceiling: requests accepted per second, across every container. */
  ceilingPerSecond: number;
  /** `generic` only: the signature header (lower-cased) and its encoding. */
  signatureHeader: string;
  signatureEncoding: 'hex' | 'base64';
  /** `generic` only: where the event type is read (a dotted body path, or a header). */
  eventTypeField: string;
  eventTypeHeader?: string;
  routes: readonly Route[];
}

/** A template for `email:<name>` routes; `{{dotted.path}}` is filled from the event payload. */
export interface EmailTemplate {
  from: string;
  to: string;
  subject: string;
  htmlBody?: string;
  textBody?: string;
  tag?: string;
  messageStream?: string;
}

/** Every source and template of one profile. */
export interface SourceCatalog {
  sources: ReadonlyMap<string, Source>;
  emailTemplates: ReadonlyMap<string, EmailTemplate>;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** SQS SendMessageBatch takes at most 10 entries: one event fans out to at most 10 routes. */
export const MAX_ROUTES = 10;

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(where: string, problem: string): never {
  throw new ConfigError(`config/sources.json ${where}: ${problem}`);
}

function text(raw: Raw, key: string, where: string, fallback?: string): string {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'string' || value.trim() === '') fail(where, `"${key}" must be a string`);
  return value;
}

function wholeNumber(raw: Raw, key: string, where: string, fallback: number): number {
  const value = raw[key] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    fail(where, `"${key}" must be a whole number of at least 1`);
  }
  return value;
}

/** Compiles `payment_intent.*` into an anchored matcher; only `*` is special. */
function globMatcher(pattern: string): (eventType: string) => boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${body}$`);
  return (eventType) => regex.test(eventType);
}

function parseRoute(raw: unknown, where: string, templates: ReadonlyMap<string, EmailTemplate>) {
  if (!isObject(raw)) fail(where, 'must be an object');
  const pattern = text(raw, 'match', where);
  const to = text(raw, 'to', where);
  const [kind, name] = [to.slice(0, to.indexOf(':')), to.slice(to.indexOf(':') + 1)];
  let destination: Destination;
  if (kind === 'workflow' && NAME.test(name)) destination = { kind, name };
  else if (kind === 'email' && templates.has(name)) destination = { kind, template: name };
  else fail(where, `"to" must be workflow:<name> or email:<known template>, got "${to}"`);
  return { pattern, to, destination, matches: globMatcher(pattern) } satisfies Route;
}

function parseTemplate(raw: unknown, where: string): EmailTemplate {
  if (!isObject(raw)) fail(where, 'must be an object');
  const optional = (key: string) => (raw[key] === undefined ? undefined : text(raw, key, where));
  const template: EmailTemplate = {
    from: text(raw, 'from', where),
    to: text(raw, 'to', where),
    subject: text(raw, 'subject', where),
  };
  for (const key of ['htmlBody', 'textBody', 'tag', 'messageStream'] as const) {
    const value = optional(key);
    if (value !== undefined) template[key] = value;
  }
  if (!template.htmlBody && !template.textBody) fail(where, 'needs "htmlBody" or "textBody"');
  return template;
}

function parseSource(
  name: string,
  raw: unknown,
  secretsPrefix: string,
  templates: ReadonlyMap<string, EmailTemplate>,
): Source {
  const where = `source "${name}"`;
  if (!NAME.test(name)) fail(where, 'names are lower-case letters, digits and dashes');
  if (!isObject(raw)) fail(where, 'must be an object');
  const scheme = text(raw, 'scheme', where);
  if (!isScheme(scheme)) fail(where, `"scheme" must be one of ${schemes.join(', ')}`);
  const encoding = text(raw, 'signatureEncoding', where, 'hex');
  if (encoding !== 'hex' && encoding !== 'base64')
    fail(where, '"signatureEncoding" is hex or base64');
  const routesRaw = raw.routes ?? [];
  if (!Array.isArray(routesRaw) || routesRaw.length > MAX_ROUTES) {
    fail(where, `"routes" must be a list of at most ${MAX_ROUTES}`);
  }
  const ceiling = isObject(raw.abuseCeiling) ? raw.abuseCeiling : {};
  const eventTypeHeader =
    raw.eventTypeHeader === undefined ? undefined : text(raw, 'eventTypeHeader', where);
  return {
    name,
    scheme,
    secretName: text(raw, 'secretName', where, `${secretsPrefix}/webhooks/${name}`),
    toleranceSeconds: wholeNumber(raw, 'toleranceSeconds', where, 300),
    ceilingPerSecond: wholeNumber(ceiling, 'perSecond', `${where} abuseCeiling`, 500),
    signatureHeader: text(raw, 'signatureHeader', where, DEFAULT_GENERIC_HEADER).toLowerCase(),
    signatureEncoding: encoding,
    eventTypeField: text(raw, 'eventTypeField', where, 'type'),
    ...(eventTypeHeader ? { eventTypeHeader: eventTypeHeader.toLowerCase() } : {}),
    routes: routesRaw.map((route, i) => parseRoute(route, `${where} route ${i}`, templates)),
  };
}

/**
 * Validates one profile of `config/sources.json` (chosen by the stage's `SOURCES_PROFILE`). Runs at
 * cold start; a mistake fails start-up with a message naming the source and field.
 */
export function loadSourceCatalog(
  profiles: unknown,
  profile: string,
  secretsPrefix: string,
): SourceCatalog {
  if (!isObject(profiles) || !isObject(profiles[profile])) {
    fail(`profile "${profile}"`, 'is missing');
  }
  const chosen = profiles[profile] as Raw;
  const templatesRaw = isObject(chosen.emailTemplates) ? chosen.emailTemplates : {};
  const emailTemplates = new Map(
    Object.entries(templatesRaw).map(([name, raw]) => [
      name,
      parseTemplate(raw, `email template "${name}"`),
    ]),
  );
  const sourcesRaw = isObject(chosen.sources) ? chosen.sources : {};
  const sources = new Map(
    Object.entries(sourcesRaw).map(([name, raw]) => [
      name,
      parseSource(name, raw, secretsPrefix, emailTemplates),
    ]),
  );
  return { sources, emailTemplates };
}
