import { SQSClient } from '@aws-sdk/client-sqs';
import { recordCalls } from './call-recorder';
import { bindToDeadline } from './deadline';
import { clientOptions } from './options';

/**
 * One SQS client per container: each attempt fails at its own timeout, and every call honours
 * the current invocation's deadline.
 */
export const sqsClient = bindToDeadline(recordCalls(new SQSClient({ ...clientOptions }), 'sqs'));
