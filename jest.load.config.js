/**
 * `npm run test:load`: the full proof suite (test/load/), apart from `npm test`. It starts a private
 * local stack of its own (it injects faults), so there is no global setup here.
 */
const base = require('./jest.config');

const unit = /** @type {{ transform: unknown, transformIgnorePatterns: string[] }} */ (
  base.projects[0]
);

module.exports = {
  displayName: 'load',
  transform: unit.transform,
  transformIgnorePatterns: unit.transformIgnorePatterns,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/load/**/*.load.test.ts'],
};
