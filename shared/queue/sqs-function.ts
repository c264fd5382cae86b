import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * The one layer every SQS consumer goes through: log keys reset and the Lambda context added per
 * invocation, and its metrics flushed at the end. `handle` answers the records SQS must deliver again.
 */
export function sqsFunction(
  handle: (event: SQSEvent) => Promise<SQSBatchResponse>,
  options: { logger: Logger; metrics: Metrics },
) {
  return middy((event: SQSEvent) => handle(event))
    .use(injectLambdaContext(options.logger, { resetKeys: true }))
    .use(logMetrics(options.metrics));
}
