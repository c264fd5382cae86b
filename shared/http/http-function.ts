import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { correlationId, type HttpContext } from './correlation-id';
import { problemJson } from './problem-json';

/** Domain logic of an HTTP function: returns its answer or throws a typed error. */
export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: HttpContext,
) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * The one HTTP layer every HTTP function goes through: log keys reset and the Lambda context added
 * per invocation, the correlation id in, on every log line and out, and problem+json for every error
 * (an unexpected one is a 500 without internals, never left to the runtime).
 */
export function httpFunction(
  handler: HttpHandler,
  options: { logger: Logger; rejectedMessage?: string },
) {
  const { logger, rejectedMessage = 'request rejected' } = options;
  const wrapped = middy(handler)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(correlationId({ logger }))
    .use(problemJson({ logger, message: rejectedMessage }));
  // The runtime hands over a plain Context; the correlation id middleware completes it.
  return wrapped as unknown as (
    event: APIGatewayProxyEventV2,
    context: Context,
  ) => Promise<APIGatewayProxyStructuredResultV2>;
}
