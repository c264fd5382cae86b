// One email batcher in a process of its own, for tests that kill it (SIGKILL) mid-call: it receives
// the harness queue's messages once (visibility 6 s) and handles them like one Lambda invocation.
// Usage: node tools/run-ts.js test/helpers/email/email-batcher-process.ts '{"env": {...}, "queueUrl": "..."}'
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadEmailBatcherConfig } from '../../../functions/email-batcher/config';
import { buildEmailBatcher } from '../../../functions/email-batcher/wiring';
import { toSqsRecord } from '../../../local/sqs/lambda-event';
import { localClientOptions } from '../stack/local-stack';

export async function main(args: string[]): Promise<number> {
  const { env, queueUrl } = JSON.parse(args[0] ?? '{}') as {
    env: Record<string, string>;
    queueUrl: string;
  };
  const clients = {
    sqs: new SQSClient(localClientOptions(10_000)),
    dynamoDb: new DynamoDBClient(localClientOptions(10_000)),
    secretsManager: new SecretsManagerClient(localClientOptions()),
  };
  const logger = new Logger({ serviceName: 'email-batcher-process', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'email-batcher-process' });
  const { handle } = buildEmailBatcher(loadEmailBatcherConfig(env), clients, logger, metrics);
  const { Messages = [] } = await clients.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      VisibilityTimeout: 6,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 5,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['All'],
    }),
  );
  process.stdout.write(`received ${Messages.length}\n`);
  await handle({
    Records: Messages.map((message) =>
      toSqsRecord(message, { queueArn: 'arn:test', region: 'us-east-1' }),
    ),
  });
  process.stdout.write('handled\n');
  return 0;
}
