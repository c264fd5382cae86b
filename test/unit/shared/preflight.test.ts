import { optionalInteger, requireString } from '../../../shared/config';
import { settingProblems } from '../../../shared/preflight';

const load = (env: Record<string, string | undefined>) => ({
  name: requireString(env, 'NAME'),
  size: optionalInteger(env, 'SIZE', 1, { min: 1, max: 9 }),
  count: optionalInteger(env, 'COUNT', 1, { min: 1, max: 9 }),
});
const settings = ['NAME', 'SIZE', 'COUNT'];

describe('setting problems', () => {
  it('finds none when the loader accepts the environment', () => {
    expect(settingProblems(load, { NAME: 'a', SIZE: '3' }, settings)).toEqual([]);
  });

  it('lists every refused variable once, not only the first', () => {
    const problems = settingProblems(load, { SIZE: '0', COUNT: 'ten' }, settings);

    expect(problems).toEqual([
      'Environment variable NAME is required',
      'Environment variable SIZE must be a whole number from 1 to 9, got "0"',
      'Environment variable COUNT must be a whole number from 1 to 9, got "ten"',
    ]);
  });

  it('passes on an error that is not a configuration mistake', () => {
    const broken = () => {
      throw new TypeError('bug');
    };

    expect(() => settingProblems(broken, {}, settings)).toThrow(TypeError);
  });
});
