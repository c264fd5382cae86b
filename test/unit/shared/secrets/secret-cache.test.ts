import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { DependencyError } from '../../../../shared/errors';
import { SecretCache } from '../../../../shared/secrets/secret-cache';

const NAME = 'connector-suite/test/webhooks/stripe';
const VALUE = 'whsec_TOPSECRETsigningKEY0123456789';
/** Pieces of the value that must never appear, not even its first characters. */
const PIECES = ['TOPSECRET', 'whsec_T', 'KEY0123456789'];

const secretsMock = mockClient(SecretsManagerClient);
let clock = 1_700_000_000_000;

/** A cache whose refresh clock is `clock`; Powertools' own cache follows the (fake) Date. */
function cache(options: { maxAgeSeconds?: number; minRefreshIntervalSeconds?: number } = {}) {
  return new SecretCache({
    client: new SecretsManagerClient({ region: 'us-east-1' }),
    maxAgeSeconds: options.maxAgeSeconds ?? 300,
    minRefreshIntervalSeconds: options.minRefreshIntervalSeconds ?? 30,
    now: () => clock,
  });
}

/** Moves both clocks on. */
function advance(ms: number) {
  clock += ms;
  jest.setSystemTime(clock);
}

function reads(): number {
  return secretsMock.commandCalls(GetSecretValueCommand).length;
}

function answerWith(secretString: string) {
  secretsMock
    .on(GetSecretValueCommand, { SecretId: NAME })
    .resolves({ SecretString: secretString });
}

/** Message and stack of the error and of every cause under it, as one text. */
function chainText(error: unknown): string {
  const parts: string[] = [];
  for (let e = error; e instanceof Error; e = e.cause) parts.push(e.message, e.stack ?? '');
  return parts.join('\n');
}

afterAll(() => secretsMock.restore());

beforeEach(() => {
  // Only Date is faked: Powertools dates its cache entries with it; promises and timers stay real.
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'hrtime',
      'performance',
    ],
    now: clock,
  });
  secretsMock.reset();
  answerWith(JSON.stringify({ current: 'one' }));
});

afterEach(() => jest.useRealTimers());

describe('SecretCache', () => {
  it('parses the JSON value of the secret', async () => {
    await expect(cache().get(NAME)).resolves.toEqual({ current: 'one' });
  });

  it('serves a secret from memory within its max age', async () => {
    const secrets = cache({ maxAgeSeconds: 300 });

    await secrets.get(NAME);
    advance(299_000);
    await expect(secrets.get(NAME)).resolves.toEqual({ current: 'one' });

    expect(reads()).toBe(1);
  });

  it('reads the secret again once its max age has passed, so a rotation lands', async () => {
    const secrets = cache({ maxAgeSeconds: 300 });
    await secrets.get(NAME);
    answerWith(JSON.stringify({ current: 'two', previous: 'one' }));

    advance(301_000);
    const value = await secrets.get(NAME);

    expect(value).toEqual({ current: 'two', previous: 'one' });
    expect(reads()).toBe(2);
  });

  it('refreshes a cached secret early, and serves the new value afterwards', async () => {
    const secrets = cache();
    await secrets.get(NAME);
    answerWith(JSON.stringify({ current: 'two' }));

    const refreshed = await secrets.refresh(NAME);
    const cached = await secrets.get(NAME);

    expect(refreshed).toEqual({ current: 'two' });
    expect(cached).toEqual({ current: 'two' });
    expect(reads()).toBe(2);
  });

  it('refuses a second refresh within the minimum interval, without a read', async () => {
    const secrets = cache({ minRefreshIntervalSeconds: 30 });
    await secrets.refresh(NAME);

    advance(29_999);
    const again = await secrets.refresh(NAME);

    expect(again).toBeUndefined();
    expect(reads()).toBe(1);
  });

  it('allows a refresh again once the interval has passed', async () => {
    const secrets = cache({ minRefreshIntervalSeconds: 30 });
    await secrets.refresh(NAME);

    advance(30_000);
    const again = await secrets.refresh(NAME);

    expect(again).toEqual({ current: 'one' });
    expect(reads()).toBe(2);
  });

  it('limits refreshes per secret, not across secrets', async () => {
    const other = 'connector-suite/test/webhooks/github';
    secretsMock
      .on(GetSecretValueCommand, { SecretId: other })
      .resolves({ SecretString: '{"current":"gh"}' });
    const secrets = cache();
    await secrets.refresh(NAME);

    await expect(secrets.refresh(other)).resolves.toEqual({ current: 'gh' });
  });
});

describe('SecretCache with an unusable secret', () => {
  it.each([
    [
      'missing',
      () =>
        secretsMock.on(GetSecretValueCommand).rejects(
          new ResourceNotFoundException({
            message: "Secrets Manager can't find the specified secret.",
            $metadata: {},
          }),
        ),
      /could not be read/,
    ],
    ['not JSON', () => answerWith(VALUE), /is not JSON/],
    ['truncated JSON', () => answerWith(`{"current":"${VALUE}`), /is not JSON/],
    [
      'binary, without a SecretString',
      () =>
        secretsMock
          .on(GetSecretValueCommand)
          .resolves({ SecretBinary: new TextEncoder().encode(VALUE) }),
      /has no SecretString/,
    ],
    ['empty', () => secretsMock.on(GetSecretValueCommand).resolves({}), /has no SecretString/],
  ])(
    'answers 503 naming the secret, never its value, when it is %s',
    async (_case, arrange, why) => {
      arrange();

      const error = await cache()
        .get(NAME)
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ status: 503, retryable: true });
      const text = chainText(error);
      expect(text).toContain(NAME);
      expect(text).toMatch(why);
      for (const piece of PIECES) expect(text).not.toContain(piece);
      // What a caller is shown names nothing at all.
      expect((error as DependencyError).message).not.toContain(NAME);
    },
  );

  it('reports the same on a refresh', async () => {
    answerWith(VALUE);

    const error = await cache()
      .refresh(NAME)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyError);
    expect(chainText(error)).toContain(NAME);
    for (const piece of PIECES) expect(chainText(error)).not.toContain(piece);
  });
});
