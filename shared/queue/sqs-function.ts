import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/** The distinct correlation ids of a batch's records (the SQS message id when one has none). */
export function batchCorrelationIds(event: SQSEvent): string[] {
  const ids = new Set<string>();
  for (const record of event.Records ?? []) {
    ids.add(record.messageAttributes?.correlationId?.stringValue ?? record.messageId);
  }
  return [...ids];
}

/**
 * The one layer every SQS consumer goes through: log keys reset and the Lambda context added per
 * invocation, and its metrics flushed at the end. `handle` answers the records SQS must deliver again.
 *
 * Each invocation first logs its batch's correlation ids once: a line about the batch as a whole
 * (the breaker opened, the provider paused) carries no single correlation id, but carries the
 * invocation's `function_request_id`, which this line ties to every event of the batch.
 */
export function sqsFunction(
  /** `context` tells the handler how long the invocation has left. */
  handle: (
    event: SQSEvent,
    context: Pick<Context, 'getRemainingTimeInMillis'>,
  ) => Promise<SQSBatchResponse>,
  options: { logger: Logger; metrics: Metrics },
) {
  return middy((event: SQSEvent, context: Context) => {
    options.logger.info('sqs batch', {
      records: event.Records?.length ?? 0,
      correlationIds: batchCorrelationIds(event),
    });
    return handle(event, context);
  })
    .use(injectLambdaContext(options.logger, { resetKeys: true }))
    .use(logMetrics(options.metrics));
}
