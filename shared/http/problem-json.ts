import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { problemResponse } from './problem';

/** Settings for {@link problemJson}. */
export interface ProblemJsonOptions {
  logger: Logger;
  /** The log message of a rejected request. */
  message?: string;
}

const defaults = { message: 'request rejected' };

/**
 * Turns every error into an RFC 9457 problem+json answer, so none is ever left to the runtime (which
 * would answer with internals, or, under serverless offline, a false 200). A typed `HttpError` keeps its
 * status and safe detail; anything else is a 500 that reveals nothing. Client errors are logged at
 * warn, server errors at error with the cause. Returns early when a response already exists.
 */
export function problemJson(
  options: ProblemJsonOptions,
): MiddlewareObj<unknown, APIGatewayProxyStructuredResultV2> {
  const { logger, message } = { ...defaults, ...options };

  const problemJsonOnError = (request: Request<unknown, APIGatewayProxyStructuredResultV2>) => {
    if (request.response) return;
    const error: unknown = request.error;
    const response = problemResponse(error);
    const status = response.statusCode ?? 500;
    const details = {
      outcome: 'rejected',
      status,
      reason: error instanceof Error ? error.message : String(error),
    };
    if (status >= 500) logger.error(message, { ...details, error });
    else logger.warn(message, details);
    request.response = response;
  };

  return { onError: problemJsonOnError };
}
