import {
  DependencyError,
  RateLimitedError,
  SignatureError,
  UnknownSourceError,
  UnsupportedMediaTypeError,
} from '../../../../shared/errors';
import { jsonResponse, problemResponse } from '../../../../shared/http/problem';

const URN = /^urn:connector-suite:problem:[a-z0-9]+(-[a-z0-9]+)*$/;

describe('problemResponse', () => {
  it('answers an HttpError with its status, title and safe detail as problem+json', () => {
    const response = problemResponse(new UnknownSourceError('No source is named "acme"'));

    expect(response.statusCode).toBe(404);
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(JSON.parse(response.body ?? '')).toEqual({
      type: 'urn:connector-suite:problem:unknown-source',
      title: 'Unknown source',
      status: 404,
      detail: 'No source is named "acme"',
    });
  });

  it('adds the error headers, such as Retry-After', () => {
    const response = problemResponse(new RateLimitedError('Over the ceiling', 7));

    expect(response.statusCode).toBe(429);
    expect(response.headers).toEqual({
      'content-type': 'application/problem+json',
      'Retry-After': '7',
    });
  });

  it('shows the detail of a 503 but never its cause', () => {
    const cause = new Error('connect ECONNREFUSED 10.0.0.7:443 table secret-internal');
    const response = problemResponse(new DependencyError('The queue is unavailable', { cause }));

    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('The queue is unavailable');
    expect(response.body).not.toMatch(/ECONNREFUSED|10\.0\.0\.7|secret-internal/);
  });

  it.each([
    ['an Error', new Error('db password=hunter2 at /var/task/index.js:12')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'hunter2')")],
    ['a thrown string', 'hunter2'],
    ['undefined', undefined],
  ])('answers %s with a 500 that reveals nothing of it', (_case, thrown) => {
    const response = problemResponse(thrown);

    expect(response.statusCode).toBe(500);
    expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(response.body).not.toMatch(/hunter2|var\/task|TypeError|undefined/);
    expect(JSON.parse(response.body ?? '')).toEqual({
      type: 'urn:connector-suite:problem:internal-error',
      title: 'Internal error',
      status: 500,
      detail: 'The request could not be processed; it is safe to retry',
    });
  });

  it.each([
    new SignatureError('d'),
    new UnsupportedMediaTypeError('d'),
    new RateLimitedError('d', 1),
    new DependencyError('d'),
    new Error('d'),
  ])('gives a type URN of lower-case words joined by hyphens (%p)', (error) => {
    const problem = JSON.parse(problemResponse(error).body ?? '');

    expect(problem.type).toMatch(URN);
  });

  it('derives the URN from the title, collapsing anything but letters and digits', () => {
    const response = problemResponse(new UnsupportedMediaTypeError('d'));

    expect(JSON.parse(response.body ?? '').type).toBe(
      'urn:connector-suite:problem:unsupported-media-type',
    );
  });
});

describe('jsonResponse', () => {
  it('serialises the body as JSON with its status', () => {
    const response = jsonResponse(202, { eventId: 'evt_1', status: 'accepted', routes: 2 });

    expect(response).toEqual({
      statusCode: 202,
      headers: { 'content-type': 'application/json' },
      body: '{"eventId":"evt_1","status":"accepted","routes":2}',
    });
  });
});
