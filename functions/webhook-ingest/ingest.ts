import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import {
  DeliveryInProgressError,
  DependencyError,
  HttpError,
  PayloadTooLargeError,
  RateLimitedError,
  UnknownSourceError,
} from '../../shared/errors';
import { jsonResponse, problemResponse } from '../../shared/http/problem';
import { messageSize, sendMessages } from '../../shared/queue/send-messages';
import type { FixedWindowCeiling } from '../../shared/rate-limit/fixed-window-ceiling';
import { identify } from './event-identity';
import { bodyFormatOf, parseBody, rawBodyOf } from './request';
import { type RoutedEvent, type RouteQueues, routeEvent } from './routing';
import { lowerCaseHeaders } from './signatures/headers';
import { type SigningDeps, verifyRequest } from './signing';
import type { Source, SourceCatalog } from './sources';

/** The answer to an accepted event, stored by dedupe and replayed to duplicates. */
export interface Accepted {
  eventId: string;
  status: 'accepted';
  routes: number;
}

/** Runs `accept` at most once per dedupe key (Powertools Idempotency in production). */
export type Dedupe = (key: { key: string }, accept: () => Promise<Accepted>) => Promise<Accepted>;

/** Everything the ingest logic needs; built once per container by the handler. */
export interface IngestDeps extends SigningDeps {
  catalog: SourceCatalog;
  ceiling: FixedWindowCeiling;
  sqs: SQSClient;
  dedupe: Dedupe;
  /** Lets in-progress dedupe records expire with the invocation. */
  registerContext: (context: Context) => void;
  /** Classifies dedupe errors: in progress (409) or the store failing (503). */
  isInProgress: (error: unknown) => boolean;
  queues: RouteQueues;
  /** `maxMessageBytes` is the queue's limit, which SQS also applies to a whole batch. */
  limits: { maxBodyBytes: number; maxMessageBytes: number };
  retryAfterSeconds: number;
  logger: Logger;
}

const CORRELATION_ID = /^[\w.:-]{1,128}$/;

/**
 * The sender's `X-Correlation-Id` when it is a safe token; else the Lambda request id, which is unique
 * in AWS and under serverless offline alike (offline gives every request the same API Gateway id).
 */
function correlationIdOf(
  event: APIGatewayProxyEventV2,
  headers: Record<string, string | undefined>,
  context: Context | undefined,
) {
  const given = headers['x-correlation-id'];
  if (given && CORRELATION_ID.test(given)) return given;
  return context?.awsRequestId ?? event.requestContext?.requestId ?? randomUUID();
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

/** Translates the dedupe layer's errors into HTTP ones; everything else passes through. */
function dedupeFailure(error: unknown, deps: IngestDeps): unknown {
  if (error instanceof HttpError) return error;
  if (deps.isInProgress(error)) {
    return new DeliveryInProgressError(
      'An identical delivery is still being processed; retry shortly',
      deps.retryAfterSeconds,
      { cause: error },
    );
  }
  return new DependencyError('The deduplication store is unavailable', { cause: error });
}

/**
 * `POST /webhooks/{source}`: verify on the raw bytes, parse, route, then (once per event) check the
 * abuse ceiling and enqueue every routed message. 202 only after SQS has them all.
 */
export function makeWebhookIngest(deps: IngestDeps) {
  const { logger } = deps;

  async function accept(
    source: Source,
    event: APIGatewayProxyEventV2,
    headers: Record<string, string | undefined>,
    correlationId: string,
  ) {
    const rawBody = rawBodyOf(event, deps.limits.maxBodyBytes);
    const format = bodyFormatOf(headers['content-type']);
    const verification = await verifyRequest(source, { rawBody, headers }, deps);
    const payload = parseBody(rawBody, format);
    if (source.scheme === 'slack' && payload.type === 'url_verification') {
      logger.info('slack url verification answered', { outcome: 'handshake' });
      return jsonResponse(200, { challenge: payload.challenge });
    }
    const identity = identify(source, headers, payload, rawBody);
    logger.appendKeys({ eventId: identity.eventId, eventType: identity.eventType });
    const facts = { correlationId, receivedAt: new Date(deps.nowSeconds() * 1000).toISOString() };
    const routed = routeEvent(source, deps.catalog, identity, payload, facts, deps.queues);
    checkSizes(routed, deps.limits.maxMessageBytes);

    // The ceiling's one write runs beside the dedupe write instead of after it, a round trip fewer
    // on every webhook; a delivery that turns out to be a duplicate gets its count back, so a
    // duplicate still spends nothing.
    const counted = deps.ceiling.take(source.name, source.ceilingPerSecond);
    counted.catch(() => undefined); // awaited below; this only stops an early rejection going unhandled
    let performed = false;
    const giveBackUnlessPerformed = async () => {
      if (performed) return;
      const decision = await counted.catch(() => undefined);
      if (decision) await deps.ceiling.giveBack(decision);
    };
    const result = await deps
      .dedupe({ key: `${source.name}:${identity.eventId}` }, async () => {
        performed = true;
        const decision = await counted;
        if (!decision.allowed) {
          throw new RateLimitedError(
            `Source ${source.name} is over its ceiling of ${source.ceilingPerSecond} requests per second`,
            decision.retryAfterSeconds,
          );
        }
        await sendMessages(deps.sqs, routed.messages, deps.limits.maxMessageBytes);
        // Keys in sorted order: the dedupe store sorts them, so a duplicate's answer is byte-identical.
        return { eventId: identity.eventId, routes: routed.messages.length, status: 'accepted' };
      })
      .catch(async (error: unknown) => {
        await giveBackUnlessPerformed();
        throw dedupeFailure(error, deps);
      });
    await giveBackUnlessPerformed();
    if (performed) {
      for (const dead of routed.deadLettered) {
        logger.warn('route dead-lettered', { outcome: 'dead-lettered', ...dead });
      }
    }
    logger.info(performed ? 'webhook accepted' : 'duplicate webhook absorbed', {
      outcome: performed ? 'accepted' : 'duplicate',
      routes: result.routes,
      deliveryId: identity.deliveryId,
      secretIndex: verification.secretIndex,
      secretRefreshed: verification.refreshed,
    });
    return jsonResponse(202, result);
  }

  return async function ingest(
    event: APIGatewayProxyEventV2,
    context?: Context,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    if (context) deps.registerContext(context);
    const headers = lowerCaseHeaders(event.headers ?? {});
    const correlationId = correlationIdOf(event, headers, context);
    const sourceName = (event.pathParameters?.source ?? '').slice(0, 64);
    logger.resetKeys(); // no key of the previous invocation may leak into this one's lines
    logger.appendKeys({
      correlationId,
      source: sourceName,
      apiRequestId: event.requestContext?.requestId,
    });
    try {
      const source = deps.catalog.sources.get(sourceName);
      if (!source) throw new UnknownSourceError(`No webhook source is named "${sourceName}"`);
      const response = await accept(source, event, headers, correlationId);
      return withCorrelation(response, correlationId);
    } catch (error) {
      const response = problemResponse(error);
      const status = response.statusCode ?? 500;
      const log = status >= 500 ? logger.error.bind(logger) : logger.warn.bind(logger);
      log('webhook rejected', {
        outcome: 'rejected',
        status,
        reason: error instanceof Error ? error.message : String(error),
        ...(status >= 500 ? { error } : {}),
      });
      return withCorrelation(response, correlationId);
    }
  };
}

function withCorrelation(response: APIGatewayProxyStructuredResultV2, correlationId: string) {
  return { ...response, headers: { ...response.headers, 'x-correlation-id': correlationId } };
}
