/** Options every Connector Suite error accepts: the standard `cause`, plus whether a retry can help. */
export interface ConnectorErrorOptions extends ErrorOptions {
  retryable?: boolean;
}

/** Base of every error the suite throws on purpose. `name` is the subclass name. */
export class ConnectorError extends Error {
  /** True when the same input may succeed later (a dependency was down), false when it never will. */
  readonly retryable: boolean;

  constructor(message: string, options: ConnectorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
  }
}

/** A required environment variable is missing or malformed: start-up must fail, naming it. */
export class ConfigError extends ConnectorError {}

/** Options for errors that become an HTTP answer. */
export interface HttpErrorOptions extends ConnectorErrorOptions {
  /** Extra response headers, such as `Retry-After`. */
  headers?: Record<string, string>;
}

/**
 * An error that maps to one HTTP status. `detail` is shown to the caller, so it must never carry
 * secrets or internals; `cause` is only logged.
 */
export class HttpError extends ConnectorError {
  readonly status: number;
  readonly title: string;
  readonly headers: Record<string, string>;

  constructor(status: number, title: string, detail: string, options: HttpErrorOptions = {}) {
    super(detail, options);
    this.status = status;
    this.title = title;
    this.headers = options.headers ?? {};
  }
}

/** 400: the body cannot be parsed as its content type says. */
export class MalformedBodyError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(400, 'Malformed body', detail, options);
  }
}

/** 401: the signature is missing, wrong, malformed or outside the timestamp tolerance. */
export class SignatureError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(401, 'Invalid signature', detail, options);
  }
}

/**
 * 401 because the signature is well-formed but no configured secret produced it: the one failure a
 * secret rotation can explain, so the only one worth fetching the secret again for.
 */
export class SignatureMismatchError extends SignatureError {}

/** 404: no source of that name is configured. */
export class UnknownSourceError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(404, 'Unknown source', detail, options);
  }
}

/** 409: an identical delivery is still being processed; the sender should retry later. */
export class DeliveryInProgressError extends HttpError {
  constructor(detail: string, retryAfterSeconds: number, options?: HttpErrorOptions) {
    super(409, 'Delivery in progress', detail, {
      ...options,
      retryable: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** 413: the body, or the queue message it would become, is over the limit. */
export class PayloadTooLargeError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(413, 'Payload too large', detail, options);
  }
}

/** 415: the content type is not one the suite parses. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(415, 'Unsupported media type', detail, options);
  }
}

/** 429: the source is over its abuse ceiling. */
export class RateLimitedError extends HttpError {
  constructor(detail: string, retryAfterSeconds: number, options?: HttpErrorOptions) {
    super(429, 'Too many requests', detail, {
      ...options,
      retryable: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** 503: SQS, DynamoDB or Secrets Manager failed; nothing was recorded as done, so a retry is safe. */
export class DependencyError extends HttpError {
  constructor(detail: string, options?: HttpErrorOptions) {
    super(503, 'Service unavailable', detail, { ...options, retryable: true });
  }
}

/** 401 asking for HTTP Basic credentials (the status page): a browser then shows its login prompt. */
export class CredentialsRequiredError extends HttpError {
  constructor(detail: string, realm: string, options?: HttpErrorOptions) {
    super(401, 'Credentials required', detail, {
      ...options,
      headers: { 'WWW-Authenticate': `Basic realm="${realm}", charset="UTF-8"` },
    });
  }
}
