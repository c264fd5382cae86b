import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  DeliveryInProgressError,
  RateLimitedError,
  SignatureError,
} from '../../../../shared/errors';
import { httpFunction } from '../../../../shared/http/http-function';
import { problemJson } from '../../../../shared/http/problem-json';
import { capturedLogger, httpEventWith, lambdaContext } from './captured-logs';

/** An HTTP function that logs one line, then throws `error`; with its captured log. */
function failingFunction(error: unknown, options: { rejectedMessage?: string } = {}) {
  const captured = capturedLogger();
  const call = httpFunction(
    async () => {
      captured.logger.info('working');
      throw error;
    },
    { logger: captured.logger, ...options },
  );
  return { ...captured, call };
}

describe('problem+json in the HTTP layer', () => {
  afterEach(() => jest.restoreAllMocks());

  it('answers an HttpError with its problem+json, its Retry-After and the correlation header', async () => {
    const { call } = failingFunction(new RateLimitedError('Source demo is over its ceiling', 3));

    const response = await call(httpEventWith({ 'x-correlation-id': 'c-429' }), lambdaContext());

    expect(response.statusCode).toBe(429);
    expect(response.headers).toEqual({
      'content-type': 'application/problem+json',
      'Retry-After': '3',
      'x-correlation-id': 'c-429',
    });
    expect(JSON.parse(response.body ?? '')).toEqual({
      type: 'urn:connector-suite:problem:too-many-requests',
      title: 'Too many requests',
      status: 429,
      detail: 'Source demo is over its ceiling',
    });
  });

  it('logs a client error at warn with its status and reason, and no error object', async () => {
    const { call, lines } = failingFunction(new SignatureError('The signature does not match'));

    const response = await call(httpEventWith({ 'x-correlation-id': 'c-401' }), lambdaContext());

    expect(response.statusCode).toBe(401);
    const rejected = lines().filter((line) => line.message === 'request rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({
      level: 'WARN',
      outcome: 'rejected',
      status: 401,
      reason: 'The signature does not match',
      correlationId: 'c-401',
    });
    expect(rejected[0]).not.toHaveProperty('error');
  });

  it('puts the correlation id on the handler lines and the rejection line alike', async () => {
    const { call, lines } = failingFunction(new DeliveryInProgressError('Still processing', 2));

    const response = await call(httpEventWith({ 'X-Correlation-Id': 'c-409' }), lambdaContext());

    expect(response.headers?.['Retry-After']).toBe('2');
    const logged = lines();
    expect(logged.map((line) => line.message)).toEqual(['working', 'request rejected']);
    for (const line of logged) expect(line.correlationId).toBe('c-409');
  });

  it('answers an unexpected error with a 500 that reveals nothing of it', async () => {
    const { call } = failingFunction(new TypeError('password=hunter2 in /var/task/handler.js'));

    const response = await call(httpEventWith({ 'x-correlation-id': 'c-500' }), lambdaContext());

    expect(response.statusCode).toBe(500);
    expect(response.headers).toEqual({
      'content-type': 'application/problem+json',
      'x-correlation-id': 'c-500',
    });
    expect(response.body).not.toMatch(/hunter2|var\/task|TypeError/);
    expect(JSON.parse(response.body ?? '').title).toBe('Internal error');
  });

  it('logs an unexpected error at error, with the error, under the configured message', async () => {
    const { call, lines } = failingFunction(new TypeError('x is not a function'), {
      rejectedMessage: 'ingest rejected',
    });

    await call(httpEventWith({ 'x-correlation-id': 'c-err' }), lambdaContext());

    const rejected = lines().find((line) => line.message === 'ingest rejected');
    expect(rejected).toMatchObject({
      level: 'ERROR',
      status: 500,
      reason: 'x is not a function',
      correlationId: 'c-err',
      error: { name: 'TypeError', message: 'x is not a function' },
    });
  });

  it('answers a thrown non-Error with a 500 and logs it as text', async () => {
    const { call, lines } = failingFunction('plain string');

    const response = await call(httpEventWith({}), lambdaContext());

    expect(response.statusCode).toBe(500);
    expect(lines().find((line) => line.message === 'request rejected')).toMatchObject({
      level: 'ERROR',
      reason: 'plain string',
    });
  });

  it('leaves a response another middleware already gave untouched', async () => {
    const { logger, lines } = capturedLogger();
    const given: APIGatewayProxyStructuredResultV2 = { statusCode: 418, body: 'teapot' };
    // middy runs onError handlers in reverse order: the one used last answers first.
    const call = middy(async () => {
      throw new Error('boom');
    })
      .use(problemJson({ logger }))
      .use({
        onError: (request) => {
          request.response = given;
        },
      });

    const response = await call({}, lambdaContext());

    expect(response).toBe(given);
    expect(lines()).toEqual([]);
  });
});
