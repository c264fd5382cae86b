import { identify } from '../../../../functions/webhook-ingest/event-identity';
import { MalformedBodyError } from '../../../../shared/errors';
import { loadSourceCatalog, type Source } from '../../../../shared/sources/catalog';
import profiles from '../../../fixtures/sources.json';

const { sources } = loadSourceCatalog(profiles, 'local', 'connector-suite/local');
const source = (name: string) => sources.get(name) as Source;
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('event identity', () => {
  it('identifies a Stripe event by its signed id and type', () => {
    const payload = { id: 'evt_1', type: 'invoice.paid' };
    expect(identify(source('stripe'), {}, payload, body(payload))).toEqual({
      eventId: 'evt_1',
      eventType: 'invoice.paid',
    });
  });

  it('identifies a Standard Webhooks event by its signed webhook-id', () => {
    const payload = { type: 'user.created' };
    expect(identify(source('standard'), { 'webhook-id': 'msg_1' }, payload, body(payload))).toEqual(
      {
        eventId: 'msg_1',
        eventType: 'user.created',
      },
    );
  });

  it('identifies a Slack event by event_id, and a slash command by its body hash', () => {
    const event = { type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention' } };
    const command = { command: '/deploy', text: 'prod' };

    expect(identify(source('slack'), {}, event, body(event))).toEqual({
      eventId: 'Ev1',
      eventType: 'app_mention',
    });
    expect(identify(source('slack'), {}, command, body(command))).toMatchObject({
      eventId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      eventType: '/deploy',
    });
  });

  it('identifies GitHub and Shopify deliveries by the body, never by their unsigned id headers', () => {
    const payload = { ref: 'refs/heads/main' };
    const first = identify(
      source('github'),
      { 'x-github-event': 'push', 'x-github-delivery': 'a' },
      payload,
      body(payload),
    );
    const replay = identify(
      source('github'),
      { 'x-github-event': 'push', 'x-github-delivery': 'b' },
      payload,
      body(payload),
    );
    const shopify = identify(
      source('shopify'),
      { 'x-shopify-topic': 'orders/create', 'x-shopify-webhook-id': 'w' },
      payload,
      body(payload),
    );

    expect(replay.eventId).toBe(first.eventId);
    expect([first.deliveryId, replay.deliveryId]).toEqual(['a', 'b']);
    expect(shopify).toMatchObject({ eventId: first.eventId, eventType: 'orders/create' });
  });

  it('reads a generic event type from the configured body field or header', () => {
    const payload = { kind: 'build.finished' };
    const byHeader = { ...source('generic'), eventTypeHeader: 'x-event' };
    const byField = { ...source('generic'), eventTypeField: 'kind' };

    expect(identify(byField, {}, payload, body(payload)).eventType).toBe('build.finished');
    expect(identify(byHeader, { 'x-event': 'ping' }, payload, body(payload)).eventType).toBe(
      'ping',
    );
  });

  it.each([
    ['a Stripe event without id', 'stripe', {}, { type: 'x' }],
    ['a Standard Webhooks event without webhook-id', 'standard', {}, { type: 'x' }],
    ['a GitHub delivery without X-GitHub-Event', 'github', {}, {}],
    ['a Stripe id with spaces', 'stripe', {}, { id: 'evt 1', type: 'x' }],
  ])('refuses %s as malformed (400)', (_what, name, headers, payload) => {
    expect(() => identify(source(name), headers, payload, body(payload))).toThrow(
      MalformedBodyError,
    );
  });
});
