import type { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterRecord } from '../dead-letter/dead-letter';
import type { SecretSource } from '../secrets/secret-cache';
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
  now: () => number;
}

/**
 * What every queue consumer wires the same way: its provider token (cached, and re-read on a
 * refusal), dead letters sent to its DLQ and indexed under its queue's name, deferrals re-sent to its
 * own queue, and a logged index failure.
 */
export function consumerPlumbing(options: ConsumerPlumbingOptions) {
  const { secrets, secretName, tokenOf } = options;
  const queue = queueNameOf(options.queueUrl);
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
    onIndexFailure: (record, error) =>
      options.logger.error('dead letter sent but not indexed', {
        messageId: record.messageId,
        correlationId: record.messageAttributes?.correlationId?.stringValue,
        error: String(error),
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
