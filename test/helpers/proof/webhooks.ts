import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { signed } from '../ingest/webhook-requests';

/** One event of the proof run: its exact body, identity as ingest derives it, and expected jobs. */
export interface PlannedEvent {
  index: number;
  /** Source name in test/fixtures/sources.json (each named after its scheme). */
  source: string;
  eventType: string;
  /** The exact raw body; every delivery of the event sends these bytes. */
  body: string;
  /** Unsigned headers the provider sends (event type, delivery id). */
  headers: Record<string, string>;
  /** `webhook-id` for the standard scheme (signed, so part of the identity). */
  webhookId?: string;
  /** The id ingest derives (per scheme's dedupe rule), computed here independently. */
  eventId: string;
  /** Job ids the routes of test/fixtures/sources.json give this event. */
  jobIds: string[];
  /** Signed with a wrong secret: must be answered 401 and produce nothing. */
  badSignature: boolean;
}

/** One POST of the run: an event, or a repeat of an earlier one (the same event re-sent). */
export interface Delivery {
  event: PlannedEvent;
  duplicate: boolean;
}

/** Ratios of the run's deliveries. */
export interface PlanOptions {
  duplicateRatio: number;
  badSignatureRatio: number;
  /** Makes event ids unique to this run. */
  runId: string;
}

const root = path.resolve(__dirname, '../../..');
const fixtures = {
  sources: path.join(root, 'test/fixtures/sources.json'),
  secrets: path.join(root, 'test/fixtures/secrets.json'),
};

const bodyHash = (body: string) =>
  `sha256:${createHash('sha256').update(Buffer.from(body, 'utf8')).digest('hex')}`;

/** The event kinds sent, round robin: every source and scheme, email and workflow routes. */
const KINDS: ((
  i: number,
  run: string,
) => Omit<PlannedEvent, 'index' | 'jobIds' | 'badSignature'> & {
  routes: string[];
})[] = [
  (i, run) => {
    const body = JSON.stringify({
      id: `evt_${run}_${i}`,
      type: 'invoice.paid',
      data: { object: { customer_email: `payer${i}@example.test`, number: `INV-${i}` } },
    });
    const event = { source: 'stripe', eventType: 'invoice.paid', body, headers: {} };
    return { ...event, eventId: `evt_${run}_${i}`, routes: ['email:invoice-paid'] };
  },
  (i, run) => {
    const body = JSON.stringify({
      id: `evt_${run}_${i}`,
      type: 'payment_intent.succeeded',
      data: { object: { amount: i } },
    });
    const event = { source: 'stripe', eventType: 'payment_intent.succeeded', body, headers: {} };
    return { ...event, eventId: `evt_${run}_${i}`, routes: ['workflow:payments'] };
  },
  (i, run) => {
    const type = i % 2 === 0 ? 'push' : 'issues';
    const body = JSON.stringify({ ref: 'refs/heads/main', run, n: i });
    const headers = { 'X-GitHub-Event': type, 'X-GitHub-Delivery': `d-${run}-${i}` };
    const routes = [type === 'push' ? 'workflow:ci' : 'workflow:triage'];
    return { source: 'github', eventType: type, body, headers, eventId: bodyHash(body), routes };
  },
  (i, run) => {
    const body = JSON.stringify({
      type: 'event_callback',
      event_id: `Ev${run}x${i}`,
      event: { type: 'app_mention', text: `hello ${i}` },
    });
    const event = { source: 'slack', eventType: 'app_mention', body, headers: {} };
    return { ...event, eventId: `Ev${run}x${i}`, routes: ['workflow:slack-events'] };
  },
  (i, run) => {
    const body = JSON.stringify({ id: i, name: `#${run}-${i}`, email: `buyer${i}@example.test` });
    const headers = { 'X-Shopify-Topic': 'orders/create', 'X-Shopify-Webhook-Id': `w-${run}-${i}` };
    const routes = ['workflow:orders', 'email:order-confirmation'];
    const event = { source: 'shopify', eventType: 'orders/create', body, headers };
    return { ...event, eventId: bodyHash(body), routes };
  },
  (i, run) => {
    const webhookId = `msg_${run}_${i}`;
    const body = JSON.stringify({ type: 'user.created', data: { n: i } });
    const event = { source: 'standard', eventType: 'user.created', body, headers: {}, webhookId };
    return { ...event, eventId: webhookId, routes: ['workflow:standard-events'] };
  },
  (i, run) => {
    const body = JSON.stringify({ type: 'build.finished', build: { id: i, run } });
    const event = { source: 'generic', eventType: 'build.finished', body, headers: {} };
    return { ...event, eventId: bodyHash(body), routes: ['workflow:generic-events'] };
  },
];

/** A small deterministic PRNG (mulberry32), so a run's shape can be repeated. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` deliveries: about `duplicateRatio` of them repeat an event sent a few to a few dozen
 * positions earlier (so some repeats race their original in flight), and `badSignatureRatio` of the
 * events (rounded down, evenly spread) are signed with a wrong secret.
 */
export function planDeliveries(count: number, options: PlanOptions): Delivery[] {
  const next = random(count);
  const deliveries: Delivery[] = [];
  const events: PlannedEvent[] = [];
  for (let position = 0; position < count; position += 1) {
    const earlier = events.filter((e) => !e.badSignature);
    if (earlier.length > 0 && next() < options.duplicateRatio) {
      const back = Math.min(earlier.length, 1 + Math.floor(next() * 40));
      deliveries.push({ event: earlier[earlier.length - back] as PlannedEvent, duplicate: true });
      continue;
    }
    const index = events.length;
    const kind = KINDS[index % KINDS.length] as (typeof KINDS)[number];
    const { routes, ...event } = kind(index, options.runId);
    const planned: PlannedEvent = {
      ...event,
      index,
      jobIds: routes.map((route) => `${event.source}:${event.eventId}:${route}`),
      // Evenly spread, not drawn: a small run still gets its share (a draw gave none to 241 events).
      badSignature:
        Math.floor((index + 1) * options.badSignatureRatio) >
        Math.floor(index * options.badSignatureRatio),
    };
    events.push(planned);
    deliveries.push({ event: planned, duplicate: false });
  }
  return deliveries;
}

/** Signing material of the test fixtures, read once. */
export interface Signing {
  sources: Record<string, { scheme: string; signatureHeader?: string; signatureEncoding?: string }>;
  secrets: Record<string, string>;
}

/** The fixtures' sources and current secrets (the private stack runs on the same files). */
export function fixtureSigning(): Signing {
  const sources = JSON.parse(readFileSync(fixtures.sources, 'utf8')).local.sources;
  const seed = JSON.parse(readFileSync(fixtures.secrets, 'utf8')) as Record<
    string,
    { current?: string }
  >;
  const secrets = Object.fromEntries(
    Object.keys(sources).map((name) => [
      name,
      seed[`connector-suite/local/webhooks/${name}`]?.current ?? '',
    ]),
  );
  return { sources, secrets };
}

/** The fixture files the private stack is started on. */
export const fixtureFiles = {
  SOURCES_FILE: fixtures.sources,
  LOCAL_SECRETS_FILE: fixtures.secrets,
};

/** A wrong secret in the right format for the scheme, so only the signature check can refuse it. */
function wrongSecret(scheme: string): string {
  const bytes = randomBytes(24).toString('base64');
  return scheme === 'standard' || scheme === 'stripe' ? `whsec_${bytes}` : `wrong-${bytes}`;
}

/** Signs one delivery now (a fresh timestamp on each attempt, as a sender's retry would have). */
export function signDelivery(
  signing: Signing,
  event: PlannedEvent,
): { body: string; headers: Record<string, string> } {
  const source = signing.sources[event.source];
  if (!source) throw new Error(`No source ${event.source} in the fixtures`);
  const secret = event.badSignature
    ? wrongSecret(source.scheme)
    : (signing.secrets[event.source] as string);
  return signed(
    {
      scheme: source.scheme,
      ...(source.signatureHeader ? { signatureHeader: source.signatureHeader } : {}),
      ...(source.signatureEncoding === 'hex' || source.signatureEncoding === 'base64'
        ? { signatureEncoding: source.signatureEncoding }
        : {}),
    },
    {
      headers: event.headers,
      body: event.body,
      ...(event.webhookId ? { id: event.webhookId } : {}),
    },
    secret,
  );
}
