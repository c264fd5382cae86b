import { optionalInteger, optionalString, requireString } from '../../../shared/config';
import { ConfigError } from '../../../shared/errors';

/** The ConfigError `read` throws; fails the test when it throws nothing or something else. */
function configErrorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('requireString', () => {
  it('returns the value without surrounding whitespace', () => {
    expect(requireString({ TABLE: '  dedupe \n' }, 'TABLE')).toBe('dedupe');
  });

  it.each([
    ['missing', {}],
    ['empty', { TABLE: '' }],
    ['blank', { TABLE: '   \t' }],
  ])('throws a ConfigError naming the variable when it is %s', (_case, env) => {
    const error = configErrorOf(() => requireString(env, 'TABLE'));

    expect(error.message).toContain('TABLE');
    expect(error.name).toBe('ConfigError');
    expect(error.retryable).toBe(false);
  });
});

describe('optionalString', () => {
  it('returns the trimmed value when it is set', () => {
    expect(optionalString({ PREFIX: ' acme/prod ' }, 'PREFIX', 'fallback')).toBe('acme/prod');
  });

  it.each([
    ['missing', {}],
    ['blank', { PREFIX: '  ' }],
  ])('returns the fallback when it is %s', (_case, env) => {
    expect(optionalString(env, 'PREFIX', 'fallback')).toBe('fallback');
  });
});

describe('optionalInteger', () => {
  const bounds = { min: 1, max: 10 };

  it('returns the fallback when the variable is missing or blank', () => {
    expect(optionalInteger({}, 'SHARDS', 4, bounds)).toBe(4);
    expect(optionalInteger({ SHARDS: ' ' }, 'SHARDS', 4, bounds)).toBe(4);
  });

  it('reads a whole number, including the bounds themselves', () => {
    expect(optionalInteger({ SHARDS: ' 7 ' }, 'SHARDS', 4, bounds)).toBe(7);
    expect(optionalInteger({ SHARDS: '1' }, 'SHARDS', 4, bounds)).toBe(1);
    expect(optionalInteger({ SHARDS: '10' }, 'SHARDS', 4, bounds)).toBe(10);
  });

  it('accepts any safe integer when no bounds are given', () => {
    expect(optionalInteger({ OFFSET: '-250' }, 'OFFSET', 0)).toBe(-250);
  });

  it.each([
    ['below the minimum', '0'],
    ['above the maximum', '11'],
    ['a fraction', '2.5'],
    ['not a number', 'four'],
    ['a number followed by text', '5s'],
    ['infinite', 'Infinity'],
  ])('throws a ConfigError naming the variable and the bounds when it is %s', (_case, raw) => {
    const error = configErrorOf(() => optionalInteger({ SHARDS: raw }, 'SHARDS', 4, bounds));

    expect(error.message).toContain('SHARDS');
    expect(error.message).toContain('from 1 to 10');
    expect(error.message).toContain(`"${raw}"`);
  });
});
