import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { recordCalls } from './call-recorder';
import { bindToDeadline } from './deadline';
import { clientOptions } from './options';

/**
 * One DynamoDB client per container: each attempt fails at its own timeout, and every call honours
 * the current invocation's deadline.
 */
export const dynamoDbClient = bindToDeadline(
  recordCalls(new DynamoDBClient({ ...clientOptions }), 'dynamodb'),
);
