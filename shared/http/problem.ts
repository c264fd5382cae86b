import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from '../errors';

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** `type` URIs name the problem; docs/http-contract.md lists them. */
function typeOf(title: string): string {
  return `urn:connector-suite:problem:${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

/**
 * The one place that turns an error into an HTTP answer: `HttpError`s keep their status and safe
 * detail; anything else is a 500 that reveals nothing about the cause (it is logged instead).
 */
export function problemResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const known = error instanceof HttpError;
  const problem: Problem = known
    ? { type: typeOf(error.title), title: error.title, status: error.status, detail: error.message }
    : {
        type: typeOf('Internal error'),
        title: 'Internal error',
        status: 500,
        detail: 'The request could not be processed; it is safe to retry',
      };
  return {
    statusCode: problem.status,
    headers: { 'content-type': 'application/problem+json', ...(known ? error.headers : {}) },
    body: JSON.stringify(problem),
  };
}

/** A JSON answer. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}
