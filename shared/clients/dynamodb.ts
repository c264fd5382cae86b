import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { clientOptions } from './options';

/** One DynamoDB client per container, with bounded connect and request timeouts. */
export const dynamoDbClient = new DynamoDBClient({ ...clientOptions });
