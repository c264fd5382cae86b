import { SQSClient } from '@aws-sdk/client-sqs';
import { clientOptions } from './options';

/** One SQS client per container, with bounded connect and request timeouts. */
export const sqsClient = new SQSClient({ ...clientOptions });
