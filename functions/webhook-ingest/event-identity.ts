import { createHash } from 'node:crypto';
import { MalformedBodyError } from '../../shared/errors';
import type { Source } from '../../shared/sources/catalog';
import { type Payload, valueAt } from './request';

/** Who an event is, for dedupe and message ids, and what it is, for routing. */
export interface EventIdentity {
  /** The id that makes two deliveries "the same event" (see the dedupe rule per scheme). */
  eventId: string;
  eventType: string;
  /** An id the sender put in an unsigned header, logged for support but never trusted for dedupe. */
  deliveryId?: string;
}

type Headers = Readonly<Record<string, string | undefined>>;

const ID = /^[\w.:@/+=-]{1,200}$/;

/** GitHub, Shopify and generic: their id headers are unsigned, so the body itself is the identity. */
function bodyHash(rawBody: Buffer): string {
  return `sha256:${createHash('sha256').update(rawBody).digest('hex')}`;
}

function required(value: unknown, what: string): string {
  if (typeof value !== 'string' || !ID.test(value)) {
    throw new MalformedBodyError(`${what} is missing or malformed`);
  }
  return value;
}

function optional(value: unknown): string | undefined {
  return typeof value === 'string' && ID.test(value) ? value : undefined;
}

/**
 * Derives the identity from a verified request, per the dedupe rule of each scheme: Standard Webhooks
 * and Stripe by their signed id, Slack by `event_id` (its retries carry a new timestamp), the rest by
 * a hash of the raw body.
 */
export function identify(
  source: Source,
  headers: Headers,
  payload: Payload,
  rawBody: Buffer,
): EventIdentity {
  switch (source.scheme) {
    case 'stripe':
      return {
        eventId: required(payload.id, 'The event "id"'),
        eventType: required(payload.type, 'The event "type"'),
      };
    case 'standard':
      return {
        eventId: required(headers['webhook-id'], 'The webhook-id header'),
        eventType: required(payload.type, 'The event "type"'),
      };
    case 'slack': {
      const inner = (payload.payload ?? payload) as Payload;
      const eventType =
        optional(valueAt(inner, 'event.type')) ??
        optional(inner.type) ??
        optional(inner.command) ??
        'unknown';
      return { eventId: optional(inner.event_id) ?? bodyHash(rawBody), eventType };
    }
    case 'github':
      return {
        eventId: bodyHash(rawBody),
        eventType: required(headers['x-github-event'], 'The X-GitHub-Event header'),
        ...withDelivery(headers['x-github-delivery']),
      };
    case 'shopify':
      return {
        eventId: bodyHash(rawBody),
        eventType: required(headers['x-shopify-topic'], 'The X-Shopify-Topic header'),
        ...withDelivery(headers['x-shopify-webhook-id']),
      };
    case 'generic': {
      const eventType = source.eventTypeHeader
        ? headers[source.eventTypeHeader]
        : valueAt(payload, source.eventTypeField);
      return {
        eventId: bodyHash(rawBody),
        eventType: required(
          eventType,
          `The event type (${source.eventTypeHeader ?? source.eventTypeField})`,
        ),
      };
    }
  }
}

function withDelivery(value: string | undefined): { deliveryId?: string } {
  const deliveryId = optional(value);
  return deliveryId ? { deliveryId } : {};
}
