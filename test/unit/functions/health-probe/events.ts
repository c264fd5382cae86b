import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** The parts of an HTTP API event the status key check reads. */
export const getEventLike = (headers: Record<string, string>): APIGatewayProxyEventV2 =>
  ({ headers, rawPath: '/status' }) as unknown as APIGatewayProxyEventV2;
