import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterRecord } from '../dead-letter/dead-letter';
import type { SecretSource } from '../secrets/secret-cache';
import { writeFailureReporter } from '../write-failures';
import { deferRecords } from './deferral';
import { queueNameOf } from './queue-name';
import type { SettlementDeps } from './settlement';

/** Where a queue consumer's records go and where its provider token lives. */
export interface ConsumerPlumbingOptions {
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  stateTable: string;
  queueUrl: string;
  dlqUrl: string;
  secrets: SecretSource;
  /** The provider's credential, `{"token"}`. */
  secretName: string;
  /** Reads the token out of the secret's value; throws when it has none. */
  tokenOf: (value: unknown) => string;
  logger: Pick<Logger, 'error'>;
  /** Where a failed index write is counted. */
  metrics: { addMetric: (...args: Parameters<Metrics['addMetric']>) => unknown };
  now: () => number;
}

/**
 * What every queue consumer wires the same way: its provider token (cached, and re-read on a
 * refusal), dead letters sent to its DLQ and indexed under its queue's name, deferrals re-sent to its
 * own queue, and a logged and counted index failure.
 */
export function consumerPlumbing(options: ConsumerPlumbingOptions) {
  const { secrets, secretName, tokenOf } = options;
  const queue = queueNameOf(options.queueUrl);
  const writeFailed = writeFailureReporter(options.logger, options.metrics);
  const deadLetterDeps = {
    sqs: options.sqs,
    dynamoDb: options.dynamoDb,
    tableName: options.stateTable,
    now: options.now,
  };
  const settlement: SettlementDeps = {
    deadLetter: (record, note) =>
      deadLetterRecord(deadLetterDeps, record, {
        ...note,
        dlqUrl: options.dlqUrl,
        queue,
        source: record.messageAttributes?.source?.stringValue,
        eventType: record.messageAttributes?.eventType?.stringValue,
      }),
    defer: (deferrals) => deferRecords(options.sqs, options.queueUrl, deferrals),
    // The dead letter is safe in the DLQ; only `npm run dlq` cannot list it (it still counts it).
    onIndexFailure: (record, error) =>
      writeFailed({
        store: 'dead-letter-index',
        step: 'index',
        messageId: record.messageId,
        correlationId: record.messageAttributes?.correlationId?.stringValue,
        error,
      }),
  };
  const token = {
    current: async () => tokenOf(await secrets.get(secretName)),
    refresh: async () => {
      const value = await secrets.refresh(secretName);
      return value === undefined ? undefined : tokenOf(value);
    },
  };
  return { queue, token, ...settlement };
}
