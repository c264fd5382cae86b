import {
  EXIT,
  exitCodeFor,
  parseSendArgs,
  UsageError,
  webhookUrl,
} from '../../../../tools/send/args';

describe('npm run send command line', () => {
  const sample = ['stripe', 'events/webhooks/stripe.json'];

  it('reads the source and the event file, with no options', () => {
    expect(parseSendArgs(sample)).toEqual({
      help: false,
      source: 'stripe',
      file: 'events/webhooks/stripe.json',
      fresh: false,
      url: undefined,
    });
  });

  it.each([
    ['--url X', ['--url', 'http://127.0.0.1:4000']],
    ['--url=X', ['--url=http://127.0.0.1:4000']],
  ])('takes the base URL given as %s, before or after the arguments', (_, urlArgs) => {
    expect(parseSendArgs([...sample, ...urlArgs]).url).toBe('http://127.0.0.1:4000');
    expect(parseSendArgs([...urlArgs, ...sample]).url).toBe('http://127.0.0.1:4000');
  });

  it('drops a trailing slash from the base URL', () => {
    expect(parseSendArgs([...sample, '--url', 'http://127.0.0.1:4000/']).url).toBe(
      'http://127.0.0.1:4000',
    );
  });

  it('turns on --fresh', () => {
    expect(parseSendArgs(['--fresh', ...sample]).fresh).toBe(true);
  });

  it.each([
    ['an unknown option', [...sample, '--frsh'], /unknown option --frsh/],
    ['an unknown short option', [...sample, '-u'], /unknown option -u/],
    ['--url without a value', [...sample, '--url'], /--url needs a value/],
    ['--url followed by another option', ['--url', '--fresh', ...sample], /--url needs a value/],
    ['--url= with nothing after it', [...sample, '--url='], /--url needs a value/],
    ['a relative --url', [...sample, '--url', '127.0.0.1:3000'], /absolute URL/],
    ['a --url that is not http', [...sample, '--url', 'ftp://127.0.0.1'], /http or https/],
    ['a missing event file', ['stripe'], /needs a source and an event file/],
    ['no arguments', [], /needs a source and an event file/],
    ['a third argument', [...sample, 'extra'], /unexpected argument extra/],
  ])('rejects %s as a usage error', (_, argv, message) => {
    expect(() => parseSendArgs(argv)).toThrow(UsageError);
    expect(() => parseSendArgs(argv)).toThrow(message);
  });

  it('asks for the usage with --help, whatever else is given', () => {
    expect(parseSendArgs(['--help']).help).toBe(true);
    expect(parseSendArgs([...sample, '-h', '--bogus']).help).toBe(true);
  });

  it('posts to /webhooks/<source> on the given base URL, else on 127.0.0.1:$HTTP_PORT', () => {
    const args = parseSendArgs(sample);
    const withUrl = parseSendArgs([...sample, '--url=http://localhost:9000']);

    expect(webhookUrl(withUrl, { HTTP_PORT: '4000' })).toBe(
      'http://localhost:9000/webhooks/stripe',
    );
    expect(webhookUrl(args, { HTTP_PORT: '4000' })).toBe('http://127.0.0.1:4000/webhooks/stripe');
    expect(webhookUrl(args, {})).toBe('http://127.0.0.1:3000/webhooks/stripe');
  });

  it('exits 0 only on a 2xx answer', () => {
    expect([200, 202, 299].map(exitCodeFor)).toEqual([0, 0, 0]);
    expect([199, 301, 401, 409, 500, 503].map(exitCodeFor)).toEqual(Array(6).fill(EXIT.failed));
    expect(EXIT).toEqual({ delivered: 0, failed: 1, usage: 2 });
  });
});
