import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';

/** The Lambda context of an HTTP function, with the invocation's correlation id. */
export type HttpContext = Context & { correlationId: string };

/** Settings for {@link correlationId}. */
export interface CorrelationIdOptions {
  logger: Logger;
  /** The request and response header, lower-case. */
  header?: string;
}

const defaults = { header: 'x-correlation-id' };

/** What a sender's correlation id may look like; anything else is replaced, never echoed. */
const SAFE_ID = /^[\w.:-]{1,128}$/;

type HttpRequest = Request<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  HttpContext
>;

function headerValue(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

/**
 * Gives every invocation a correlation id: the sender's `X-Correlation-Id` when it is a safe token,
 * else the Lambda request id (unique in AWS and under serverless offline alike, where every request
 * shares one API Gateway id). It starts every log line's keys afresh (no key of an earlier invocation
 * may leak into this one's lines), puts the id on `context.correlationId` and answers with it.
 */
export function correlationId(
  options: CorrelationIdOptions,
): MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, HttpContext> {
  const { logger, header } = { ...defaults, ...options };

  const correlationIdBefore = (request: HttpRequest) => {
    const given = headerValue(request.event, header);
    const id =
      given && SAFE_ID.test(given)
        ? given
        : (request.context.awsRequestId ?? request.event.requestContext?.requestId ?? randomUUID());
    request.context.correlationId = id;
    logger.resetKeys();
    logger.appendKeys({ correlationId: id, apiRequestId: request.event.requestContext?.requestId });
  };

  const correlationIdAfter = (request: HttpRequest) => {
    const response = request.response;
    if (!response) return;
    request.response = {
      ...response,
      headers: { ...response.headers, [header]: request.context.correlationId },
    };
  };

  return {
    before: correlationIdBefore,
    after: correlationIdAfter,
    onError: correlationIdAfter,
  };
}
