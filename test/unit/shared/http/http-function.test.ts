import { SignatureError } from '../../../../shared/errors';
import { httpFunction } from '../../../../shared/http/http-function';
import { capturedLogger, httpEventWith, lambdaContext } from './captured-logs';

describe('httpFunction', () => {
  afterEach(() => jest.restoreAllMocks());

  it('adds the Lambda context to every log line of the invocation', async () => {
    const { logger, lines } = capturedLogger();
    const call = httpFunction(
      async () => {
        logger.info('handled');
        return { statusCode: 204 };
      },
      { logger },
    );
    const context = lambdaContext();

    await call(httpEventWith({}), context);

    const [line] = lines();
    expect(line).toMatchObject({
      message: 'handled',
      function_request_id: context.awsRequestId,
      function_name: context.functionName,
    });
  });

  it('resets log keys after an invocation that failed', async () => {
    const { logger, lines } = capturedLogger();
    let invocation = 0;
    const call = httpFunction(
      async () => {
        invocation += 1;
        if (invocation === 1) {
          logger.appendKeys({ source: 'first-source' });
          throw new SignatureError('The signature does not match');
        }
        logger.info('second');
        return { statusCode: 204 };
      },
      { logger },
    );

    const first = await call(httpEventWith({}), lambdaContext());
    const second = await call(httpEventWith({}), lambdaContext());

    expect(first.statusCode).toBe(401);
    expect(second.statusCode).toBe(204);
    const rejected = lines().find((line) => line.message === 'request rejected');
    expect(rejected?.source).toBe('first-source');
    expect(lines().find((line) => line.message === 'second')).not.toHaveProperty('source');
  });

  it('never lets an error reach the runtime', async () => {
    const { logger } = capturedLogger();
    const call = httpFunction(
      async () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
      { logger },
    );

    await expect(call(httpEventWith({}), lambdaContext())).resolves.toMatchObject({
      statusCode: 500,
    });
  });
});
