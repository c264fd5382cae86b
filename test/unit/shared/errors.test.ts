import {
  ConfigError,
  ConnectorError,
  DeliveryInProgressError,
  DependencyError,
  HttpError,
  MalformedBodyError,
  PayloadTooLargeError,
  RateLimitedError,
  SignatureError,
  SignatureMismatchError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from '../../../shared/errors';

describe('ConnectorError', () => {
  it('is named after its subclass and passes its cause through', () => {
    const cause = new Error('socket hang up');
    const error = new ConfigError('Environment variable X is required', { cause });

    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.cause).toBe(cause);
  });

  it('is not retryable unless it says so', () => {
    expect(new ConnectorError('x').retryable).toBe(false);
    expect(new ConnectorError('x', { retryable: true }).retryable).toBe(true);
  });

  it('has no cause property at all when none is given', () => {
    expect('cause' in new ConnectorError('x')).toBe(false);
  });
});

describe('HttpError subclasses', () => {
  it.each([
    ['MalformedBodyError', new MalformedBodyError('d'), 400, 'Malformed body', false],
    ['SignatureError', new SignatureError('d'), 401, 'Invalid signature', false],
    ['SignatureMismatchError', new SignatureMismatchError('d'), 401, 'Invalid signature', false],
    ['UnknownSourceError', new UnknownSourceError('d'), 404, 'Unknown source', false],
    [
      'DeliveryInProgressError',
      new DeliveryInProgressError('d', 3),
      409,
      'Delivery in progress',
      true,
    ],
    ['PayloadTooLargeError', new PayloadTooLargeError('d'), 413, 'Payload too large', false],
    [
      'UnsupportedMediaTypeError',
      new UnsupportedMediaTypeError('d'),
      415,
      'Unsupported media type',
      false,
    ],
    ['RateLimitedError', new RateLimitedError('d', 1), 429, 'Too many requests', true],
    ['DependencyError', new DependencyError('d'), 503, 'Service unavailable', true],
  ])('%s answers %i "%s" (retryable: %s)', (name, error, status, title, retryable) => {
    expect(error).toBeInstanceOf(HttpError);
    expect(error.name).toBe(name);
    expect(error.status).toBe(status);
    expect(error.title).toBe(title);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toBe('d');
  });

  it('makes a signature mismatch a kind of signature error', () => {
    expect(new SignatureMismatchError('d')).toBeInstanceOf(SignatureError);
  });

  it('carries no headers unless given some', () => {
    expect(new SignatureError('d').headers).toEqual({});
    expect(new SignatureError('d', { headers: { 'WWW-Authenticate': 'x' } }).headers).toEqual({
      'WWW-Authenticate': 'x',
    });
  });

  it.each([
    ['DeliveryInProgressError', new DeliveryInProgressError('d', 5)],
    ['RateLimitedError', new RateLimitedError('d', 5)],
  ])('%s says when to retry in Retry-After', (_name, error) => {
    expect(error.headers).toEqual({ 'Retry-After': '5' });
  });

  it('keeps a DependencyError retryable even when the caller says otherwise', () => {
    const cause = new Error('ECONNRESET');
    const error = new DependencyError('d', { retryable: false, cause });

    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(cause);
  });

  it('keeps Retry-After on a rate limit even when other headers are given', () => {
    const error = new RateLimitedError('d', 2, { headers: { 'X-Other': 'y' } });

    expect(error.headers['Retry-After']).toBe('2');
  });
});
