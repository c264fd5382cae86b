import { planStackSuites, stackSuiteFiles } from '../../setup/shards';

describe('npm test: grouping of the stack suites', () => {
  it('runs the proof alone and spreads the others over the groups by their durations', () => {
    const files = [
      'test/e2e/proof.e2e.test.ts',
      'test/integration/a.test.ts',
      'test/integration/b.test.ts',
      'test/integration/c.test.ts',
      'test/integration/d.test.ts',
    ];
    const weights = { 'test/integration/a.test.ts': 40, 'test/integration/b.test.ts': 30 };
    const { alone, groups } = planStackSuites(files, weights, 2);
    expect(alone).toEqual(['test/e2e/proof.e2e.test.ts']);
    // Longest first into the lightest group: a (40), b (30), c (10, the default) beside b, then d
    // into the first of the two groups at 40.
    expect(groups).toEqual([
      ['test/integration/a.test.ts', 'test/integration/d.test.ts'],
      ['test/integration/b.test.ts', 'test/integration/c.test.ts'],
    ]);
  });

  it('leaves out no suite of the project and runs none twice', () => {
    const files: string[] = stackSuiteFiles();
    expect(files.length).toBeGreaterThan(20);
    const { alone, groups } = planStackSuites(files, {}, 3);
    const planned = [...alone, ...groups.flat()];
    expect([...planned].sort()).toEqual([...files].sort());
  });
});
