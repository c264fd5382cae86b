import { SQSClient } from '@aws-sdk/client-sqs';
import { bindToDeadline } from './deadline';
import { clientOptions } from './options';

/**
 * One SQS client per container: each attempt fails at its own timeout, and every call honours
 * the current invocation's deadline.
 */
export const sqsClient = bindToDeadline(new SQSClient({ ...clientOptions }));
