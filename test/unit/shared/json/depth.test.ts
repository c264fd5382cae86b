import { nestsDeeperThan } from '../../../../shared/json/depth';

/** `depth` arrays nested in one another around `1`. */
const nestedArrays = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('nestsDeeperThan', () => {
  it('counts nested objects', () => {
    const text = '{"a":{"b":{"c":1}}}';

    expect(nestsDeeperThan(text, 3)).toBe(false);
    expect(nestsDeeperThan(text, 2)).toBe(true);
  });

  it('counts nested arrays', () => {
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[]]]', 2)).toBe(true);
  });

  it('counts objects and arrays mixed', () => {
    const text = '{"items":[{"tags":["x"]}]}';

    expect(nestsDeeperThan(text, 4)).toBe(false);
    expect(nestsDeeperThan(text, 3)).toBe(true);
  });

  it('counts the deepest branch, not the number of brackets', () => {
    const wide = `[${Array.from({ length: 500 }, () => '[1]').join(',')}]`;

    expect(nestsDeeperThan(wide, 2)).toBe(false);
  });

  it('allows nesting exactly at the limit and refuses one level over it', () => {
    expect(nestsDeeperThan(nestedArrays(64), 64)).toBe(false);
    expect(nestsDeeperThan(nestedArrays(65), 64)).toBe(true);
  });

  it('treats scalars and an empty text as depth 0', () => {
    expect(nestsDeeperThan('"text"', 0)).toBe(false);
    expect(nestsDeeperThan('42', 0)).toBe(false);
    expect(nestsDeeperThan('', 0)).toBe(false);
    expect(nestsDeeperThan('{}', 0)).toBe(true);
  });

  it('ignores brackets inside strings', () => {
    const text = JSON.stringify({ note: '[[[[{{{{', other: ']]]]}}}}' });

    expect(nestsDeeperThan(text, 1)).toBe(false);
  });

  it('ignores closing brackets inside strings, which would otherwise hide real depth', () => {
    const text = JSON.stringify([']]]]', [[['deep']]]]);

    expect(nestsDeeperThan(text, 3)).toBe(true);
  });

  it('stays inside a string past an escaped quote', () => {
    const text = JSON.stringify({ quote: 'say \\"[[[[ and "[[[[' });

    expect(text).toContain('\\"');
    expect(nestsDeeperThan(text, 1)).toBe(false);
  });

  it('leaves a string after an escaped backslash that ends it', () => {
    // The string is a single backslash: its closing quote is real, so the arrays after it count.
    const text = JSON.stringify(['\\', [[1]]]);

    expect(text).toBe('["\\\\",[[1]]]');
    expect(nestsDeeperThan(text, 2)).toBe(true);
    expect(nestsDeeperThan(text, 3)).toBe(false);
  });

  it('agrees with the real depth of a parsed document', () => {
    const document = { a: [1, { b: [[], { c: 'x]' }] }], d: { e: {} } };

    expect(nestsDeeperThan(JSON.stringify(document), 5)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify(document), 4)).toBe(true);
  });

  it('scans 100,000 levels without throwing', () => {
    const deep = nestedArrays(100_000);
    const deepObjects = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;

    expect(() => nestsDeeperThan(deep, 100_000)).not.toThrow();
    expect(nestsDeeperThan(deep, 100_000)).toBe(false);
    expect(nestsDeeperThan(deep, 99_999)).toBe(true);
    expect(nestsDeeperThan(deepObjects, 64)).toBe(true);
  });
});
