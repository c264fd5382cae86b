import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { PayloadTooLargeError, RateLimitedError, UnknownSourceError } from '../../shared/errors';
import type { HttpContext } from '../../shared/http/correlation-id';
import { jsonResponse } from '../../shared/http/problem';
import { queueNameOf } from '../../shared/queue/queue-name';
import { messageSize, type QueuedMessage, sendMessages } from '../../shared/queue/send-messages';
import type {
  CeilingDecision,
  CeilingReservation,
} from '../../shared/rate-limit/fixed-window-ceiling';
import type { Source, SourceCatalog } from '../../shared/sources/catalog';
import { identify } from './event-identity';
import { bodyFormatOf, checkNesting, parseBody, rawBodyOf } from './request';
import {
  DEFAULT_TEMPLATE_VALUE_MAX_CHARS,
  type DeadRoute,
  type RoutedEvent,
  type RouteQueues,
  routeEvent,
} from './routing';
import { lowerCaseHeaders } from './signatures/headers';
import { type SigningDeps, verifyRequest } from './signing';

/** The answer to an accepted event, stored by dedupe and replayed to duplicates. */
export interface Accepted {
  eventId: string;
  status: 'accepted';
  routes: number;
}

/**
 * Runs `work` at most once per key and hands duplicates the stored result. The wiring translates the
 * store's own failures: `DeliveryInProgressError` while the same key is being worked on,
 * `DependencyError` when the store is unavailable; an error thrown by `work` passes through as it is,
 * and leaves nothing recorded as done.
 */
export interface DedupeStore {
  once(
    key: string,
    work: () => Promise<Accepted>,
  ): Promise<{ result: Accepted; performed: boolean }>;
}

/** Counts one request against a per-second ceiling shared by every container. */
export interface AbuseCeiling {
  take(key: string, limitPerSecond: number): Promise<CeilingDecision>;
  /**
   * Takes a slot concurrently with the dedupe claim, to be given back if the claim finds a duplicate;
   * `undefined` when the slot must wait for the claim (near the limit). Optional: without it every
   * slot is taken after the claim.
   */
  takeAhead?(key: string, limitPerSecond: number): Promise<CeilingReservation> | undefined;
}

/**
 * Sends a route's job that can never succeed to its dead-letter queue, with its reason, and indexes
 * it; throws (a `DependencyError`) when the DLQ refuses, so nothing is answered 2xx before it is durable.
 */
export type DeadLetterSink = (dead: DeadRoute) => Promise<{ indexed: boolean }>;

/** Everything the ingest logic needs; built once per container by the wiring. */
export interface IngestDeps extends SigningDeps {
  catalog: SourceCatalog;
  ceiling: AbuseCeiling;
  sqs: SQSClient;
  dedupe: DedupeStore;
  deadLetter: DeadLetterSink;
  queues: RouteQueues;
  /** `maxMessageBytes` is the queue's limit, which SQS also applies to a whole batch. */
  limits: {
    maxBodyBytes: number;
    maxMessageBytes: number;
    maxJsonDepth: number;
    /** Length cap of one template placeholder's value (default 2000 characters). */
    maxTemplateValueChars?: number;
  };
  logger: Logger;
}

function checkSizes(routed: RoutedEvent, maxMessageBytes: number): void {
  for (const message of routed.messages) {
    if (messageSize(message) > maxMessageBytes) {
      throw new PayloadTooLargeError(
        `The queue message this event becomes is over the queue's limit of ${maxMessageBytes} bytes`,
      );
    }
  }
}

/**
 * `POST /webhooks/{source}`: verify on the raw bytes, parse, route, then, once per event, take a slot
 * of the abuse ceiling and enqueue every routed message. Answers 202 only after SQS has them all;
 * every refusal is a typed error that the HTTP layer turns into problem+json.
 */
export function makeWebhookIngest(deps: IngestDeps) {
  const { logger } = deps;

  return async function ingest(
    event: APIGatewayProxyEventV2,
    context: HttpContext,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const sourceName = (event.pathParameters?.source ?? '').slice(0, 64);
    logger.appendKeys({ source: sourceName });
    const source = deps.catalog.sources.get(sourceName);
    if (!source) throw new UnknownSourceError(`No webhook source is named "${sourceName}"`);

    const headers = lowerCaseHeaders(event.headers ?? {});
    const rawBody = rawBodyOf(event, deps.limits.maxBodyBytes);
    const format = bodyFormatOf(headers['content-type']);
    // Before any I/O: a body nested too deep to parse safely costs no secret fetch.
    checkNesting(rawBody, format, deps.limits.maxJsonDepth);
    const verification = await verifyRequest(source, { rawBody, headers }, deps);
    const payload = parseBody(rawBody, format);
    if (source.scheme === 'slack' && payload.type === 'url_verification') {
      logger.info('slack url verification answered', { outcome: 'handshake' });
      return jsonResponse(200, { challenge: payload.challenge });
    }
    const identity = identify(source, headers, payload, rawBody);
    logger.appendKeys({ eventId: identity.eventId, eventType: identity.eventType });
    const facts = {
      correlationId: context.correlationId,
      receivedAt: new Date(deps.nowSeconds() * 1000).toISOString(),
    };
    const routed = routeEvent(source, deps.catalog, identity, payload, facts, deps.queues, {
      maxValueChars: deps.limits.maxTemplateValueChars ?? DEFAULT_TEMPLATE_VALUE_MAX_CHARS,
    });
    checkSizes(routed, deps.limits.maxMessageBytes);

    let queued: QueuedMessage[] = [];
    // The slot is taken concurrently with the claim where the ceiling allows it (one round trip
    // less); a failed take ahead is simply taken again after the claim.
    const ahead = deps.ceiling
      .takeAhead?.(source.name, source.ceilingPerSecond)
      ?.catch(() => undefined);
    let worked = false;
    let outcome: { result: Accepted; performed: boolean };
    try {
      outcome = await deps.dedupe.once(`${source.name}:${identity.eventId}`, () => {
        worked = true;
        return enqueue(source, routed, identity.eventId, ahead, (sent) => {
          queued = sent;
        });
      });
    } finally {
      // A duplicate (stored or in flight), or a claim the store could not make, gives its slot back.
      if (ahead && !worked) await giveBack(ahead);
    }
    const { result, performed } = outcome;
    logger.info(performed ? 'webhook accepted' : 'duplicate webhook absorbed', {
      outcome: performed ? 'accepted' : 'duplicate',
      routes: result.routes,
      // Where each routed job went: the first hop of `npm run trace`.
      queued: queued.map((message) => ({
        queue: queueNameOf(message.queueUrl),
        messageId: message.messageId,
        jobId: message.jobId,
      })),
      deliveryId: identity.deliveryId,
      secretIndex: verification.secretIndex,
      secretRefreshed: verification.refreshed,
    });
    return jsonResponse(202, result);
  };

  /** Gives back a slot taken ahead; a failure costs one slot of this second, not the answer. */
  async function giveBack(ahead: Promise<CeilingReservation | undefined>): Promise<void> {
    const reservation = await ahead;
    if (!reservation?.allowed) return;
    try {
      await reservation.giveBack();
    } catch (error) {
      logger.warn('abuse-ceiling slot not given back', { outcome: 'slot-kept', error });
    }
  }

  /**
   * The once-per-event part, after the dedupe claim. The ceiling slot is either the one taken ahead
   * (given back by the caller when this never runs, so a duplicate never keeps one) or taken here.
   */
  async function enqueue(
    source: Source,
    routed: RoutedEvent,
    eventId: string,
    ahead: Promise<CeilingReservation | undefined> | undefined,
    onQueued: (queued: QueuedMessage[]) => void,
  ): Promise<Accepted> {
    const reserved = ahead ? await ahead : undefined;
    const decision = reserved?.allowed
      ? reserved
      : await deps.ceiling.take(source.name, source.ceilingPerSecond);
    if (!decision.allowed) {
      throw new RateLimitedError(
        `Source ${source.name} is over its ceiling of ${source.ceilingPerSecond} requests per second`,
        decision.retryAfterSeconds,
      );
    }
    onQueued(await sendMessages(deps.sqs, routed.messages, deps.limits.maxMessageBytes));
    for (const dead of routed.deadLettered) {
      const { indexed } = await deps.deadLetter(dead);
      logger.warn('route dead-lettered', {
        outcome: 'dead-lettered',
        route: dead.route,
        jobId: dead.jobId,
        reason: dead.reason,
        indexed,
      });
    }
    // Keys in sorted order: the dedupe store sorts them, so a duplicate's answer is byte-identical.
    return { eventId, routes: routed.messages.length, status: 'accepted' };
  }
}
