import {
  loadTimeoutSettings,
  sdkClientOptions,
  TIMEOUT_SETTINGS,
  type TimeoutSettings,
} from '../../../../shared/clients/options';
import { ConfigError } from '../../../../shared/errors';

describe('loadTimeoutSettings', () => {
  it('gives every setting its default when nothing is set', () => {
    expect(loadTimeoutSettings({})).toEqual({
      connectTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      maxAttempts: 2,
      deadlineMs: 4000,
      cleanupReserveMs: 800,
    });
  });

  it('reads each setting from its variable', () => {
    const settings = loadTimeoutSettings({
      AWS_CLIENT_CONNECT_TIMEOUT_MS: '50',
      AWS_CLIENT_REQUEST_TIMEOUT_MS: '300',
      AWS_CLIENT_MAX_ATTEMPTS: '1',
      REQUEST_DEADLINE_MS: '1500',
      REQUEST_CLEANUP_RESERVE_MS: '0',
    });

    expect(settings).toEqual({
      connectTimeoutMs: 50,
      requestTimeoutMs: 300,
      maxAttempts: 1,
      deadlineMs: 1500,
      cleanupReserveMs: 0,
    });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadTimeoutSettings({}))).toBe(true);
  });

  it.each([
    ['AWS_CLIENT_CONNECT_TIMEOUT_MS', '9'],
    ['AWS_CLIENT_CONNECT_TIMEOUT_MS', '60001'],
    ['AWS_CLIENT_REQUEST_TIMEOUT_MS', '9'],
    ['AWS_CLIENT_REQUEST_TIMEOUT_MS', '300001'],
    ['AWS_CLIENT_MAX_ATTEMPTS', '0'],
    ['AWS_CLIENT_MAX_ATTEMPTS', '11'],
    ['REQUEST_DEADLINE_MS', '99'],
    ['REQUEST_DEADLINE_MS', '900001'],
    ['REQUEST_CLEANUP_RESERVE_MS', '-1'],
    ['REQUEST_CLEANUP_RESERVE_MS', '60001'],
    ['AWS_CLIENT_MAX_ATTEMPTS', '1.5'],
  ])('refuses %s=%s with a ConfigError that names it', (name, value) => {
    expect(() => loadTimeoutSettings({ [name]: value })).toThrow(ConfigError);
    expect(() => loadTimeoutSettings({ [name]: value })).toThrow(name);
  });

  it.each([
    ['equal to', '1000', '1000'],
    ['above', '1000', '1200'],
  ])(
    'refuses a cleanup reserve %s the deadline, naming both variables',
    (_case, deadline, reserve) => {
      const read = () =>
        loadTimeoutSettings({ REQUEST_DEADLINE_MS: deadline, REQUEST_CLEANUP_RESERVE_MS: reserve });

      expect(read).toThrow(RangeError);
      expect(read).toThrow(/REQUEST_CLEANUP_RESERVE_MS.*REQUEST_DEADLINE_MS/);
    },
  );

  it('accepts a cleanup reserve just below the deadline', () => {
    const settings = loadTimeoutSettings({
      REQUEST_DEADLINE_MS: '1000',
      REQUEST_CLEANUP_RESERVE_MS: '999',
    });

    expect(settings.cleanupReserveMs).toBe(999);
  });

  it('lists exactly the variables it reads', () => {
    // Each listed variable, set out of bounds alone, must be refused by name.
    for (const name of TIMEOUT_SETTINGS) {
      expect(() => loadTimeoutSettings({ [name]: '1e9' })).toThrow(name);
    }
    expect(TIMEOUT_SETTINGS).toHaveLength(Object.keys(loadTimeoutSettings({})).length);
  });
});

describe('sdkClientOptions', () => {
  const settings: TimeoutSettings = {
    connectTimeoutMs: 111,
    requestTimeoutMs: 222,
    maxAttempts: 3,
    deadlineMs: 4000,
    cleanupReserveMs: 800,
  };

  it('makes the request timeout fail the call rather than only log a warning', () => {
    expect(sdkClientOptions(settings).requestHandler.throwOnRequestTimeout).toBe(true);
  });

  it('passes the connect and request timeouts and the attempt count to the client', () => {
    expect(sdkClientOptions(settings)).toEqual({
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 111, requestTimeout: 222, throwOnRequestTimeout: true },
    });
  });

  it('sets no endpoint, so AWS_ENDPOINT_URL_* can redirect the clients', () => {
    expect(sdkClientOptions(settings)).not.toHaveProperty('endpoint');
  });
});
