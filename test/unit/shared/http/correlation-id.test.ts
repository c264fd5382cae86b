import middy from '@middy/core';
import { correlationId, type HttpContext } from '../../../../shared/http/correlation-id';
import { type HttpHandler, httpFunction } from '../../../../shared/http/http-function';
import { jsonResponse } from '../../../../shared/http/problem';
import { capturedLogger, httpEventWith, lambdaContext } from './captured-logs';

/** An HTTP function that logs one line and reports the correlation id it was given. */
function echoFunction(extra?: (context: HttpContext) => void) {
  const captured = capturedLogger();
  const seen: string[] = [];
  const handler: HttpHandler = async (_event, context) => {
    seen.push(context.correlationId);
    extra?.(context);
    captured.logger.info('handled');
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'x-handler': 'kept' },
      body: '{}',
    };
  };
  return { ...captured, seen, call: httpFunction(handler, { logger: captured.logger }) };
}

describe('the correlation id of an HTTP function', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each(['X-Correlation-Id', 'x-correlation-id', 'X-CORRELATION-ID'])(
    'uses and echoes a safe id sent as %s',
    async (header) => {
      const { call, seen } = echoFunction();

      const response = await call(httpEventWith({ [header]: 'order-42:retry.1' }), lambdaContext());

      expect(seen).toEqual(['order-42:retry.1']);
      expect(response.headers?.['x-correlation-id']).toBe('order-42:retry.1');
    },
  );

  it.each([
    ['longer than 128 characters', 'a'.repeat(129)],
    ['containing a space', 'order 42'],
    ['containing markup', '<script>alert(1)</script>'],
    ['containing a line break', 'abc\ninjected'],
    ['containing a slash', '../etc/passwd'],
    ['that is empty', ''],
  ])('replaces an id %s with the Lambda request id', async (_case, given) => {
    const { call, seen, raw } = echoFunction();
    const context = lambdaContext();

    const response = await call(httpEventWith({ 'x-correlation-id': given }), context);

    expect(seen).toEqual([context.awsRequestId]);
    expect(response.headers?.['x-correlation-id']).toBe(context.awsRequestId);
    if (given !== '') expect(raw()).not.toContain(given);
  });

  it('accepts an id of exactly 128 safe characters', async () => {
    const { call, seen } = echoFunction();
    const id = 'b'.repeat(128);

    await call(httpEventWith({ 'x-correlation-id': id }), lambdaContext());

    expect(seen).toEqual([id]);
  });

  it('uses the Lambda request id when no id is sent', async () => {
    const { call } = echoFunction();
    const context = lambdaContext();

    const response = await call(httpEventWith({}), context);

    expect(response.headers?.['x-correlation-id']).toBe(context.awsRequestId);
  });

  it("adds the header to the handler's own successful answer and keeps its headers", async () => {
    const { call } = echoFunction();

    const response = await call(httpEventWith({ 'x-correlation-id': 'c-1' }), lambdaContext());

    expect(response).toMatchObject({ statusCode: 200, body: '{}' });
    expect(response.headers).toEqual({
      'content-type': 'application/json',
      'x-handler': 'kept',
      'x-correlation-id': 'c-1',
    });
  });

  it('puts the id on every log line of the invocation', async () => {
    const { call, lines } = echoFunction();

    await call(httpEventWith({ 'x-correlation-id': 'c-every' }), lambdaContext());

    const logged = lines();
    expect(logged.map((line) => line.message)).toContain('handled');
    for (const line of logged) expect(line.correlationId).toBe('c-every');
  });

  it("never carries a key of an earlier invocation into a later one's lines", async () => {
    let invocation = 0;
    const { call, lines, logger } = echoFunction(() => {
      invocation += 1;
      if (invocation === 1) logger.appendKeys({ tenant: 'first-tenant' });
    });

    await call(httpEventWith({ 'x-correlation-id': 'first' }), lambdaContext());
    const firstCount = lines().length;
    await call(httpEventWith({}), lambdaContext());

    const [first, second] = [lines().slice(0, firstCount), lines().slice(firstCount)];
    expect(first.some((line) => line.tenant === 'first-tenant')).toBe(true);
    expect(second.length).toBeGreaterThan(0);
    for (const line of second) {
      expect(line).not.toHaveProperty('tenant');
      expect(line.correlationId).not.toBe('first');
    }
  });

  it('starts the keys afresh by itself, without the Lambda context middleware', async () => {
    const { logger, lines } = capturedLogger();
    let invocation = 0;
    const call = middy(async (_event: unknown, context: HttpContext) => {
      invocation += 1;
      if (invocation === 1) logger.appendKeys({ tenant: 'first-tenant' });
      logger.info('handled', { id: context.correlationId });
      return { statusCode: 204 };
    }).use(correlationId({ logger }));

    await call(httpEventWith({ 'x-correlation-id': 'one' }), lambdaContext() as HttpContext);
    await call(httpEventWith({ 'x-correlation-id': 'two' }), lambdaContext() as HttpContext);

    const [first, second] = lines();
    expect(first).toMatchObject({ correlationId: 'one', tenant: 'first-tenant' });
    expect(second).toMatchObject({ correlationId: 'two' });
    expect(second).not.toHaveProperty('tenant');
  });

  it('answers with the id on a problem+json error too', async () => {
    const captured = capturedLogger();
    const call = httpFunction(
      async () => {
        throw new Error('boom');
      },
      { logger: captured.logger },
    );

    const response = await call(httpEventWith({ 'X-Correlation-Id': 'c-err' }), lambdaContext());

    expect(response.statusCode).toBe(500);
    expect(response.headers?.['x-correlation-id']).toBe('c-err');
  });

  it('keeps jsonResponse answers intact apart from the added header', async () => {
    const captured = capturedLogger();
    const call = httpFunction(async () => jsonResponse(202, { ok: true }), {
      logger: captured.logger,
    });

    const response = await call(httpEventWith({}), lambdaContext());

    expect(response.statusCode).toBe(202);
    expect(response.body).toBe('{"ok":true}');
    expect(response.headers?.['content-type']).toBe('application/json');
  });
});
