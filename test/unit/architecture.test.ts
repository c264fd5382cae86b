import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { DependencyTree } from 'dpdm';

// The layout's rules (issue 18), checked on every `npm test`: no import cycles (type-only imports
// count: a shared type belongs in a file of its own), no function reaching into another function's
// folder, shared code and tools depending on no function, and no source folder grown past what a
// newcomer can take in at a glance.
const root = path.resolve(__dirname, '..', '..');
const sourceRoots = ['functions', 'shared', 'local', 'tools', 'bench'].filter((dir) =>
  existsSync(path.join(root, dir)),
);
const MAX_FILES_PER_FOLDER = 12;

let tree: DependencyTree;
let circular: string[][];

beforeAll(async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      path.join(root, 'test/helpers/import-graph.js'),
      root,
      ...sourceRoots.flatMap((dir) => [`${dir}/**/*.ts`, `${dir}/**/*.js`]),
    ],
    { cwd: root, env: { ...process.env }, maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
  );
  ({ tree, circular } = JSON.parse(stdout) as { tree: DependencyTree; circular: string[][] });
}, 70_000);

/** Every import edge between two files of the repository, as repository-relative paths. */
function edges(): Array<{ from: string; to: string }> {
  return Object.entries(tree).flatMap(([from, dependencies]) =>
    (dependencies ?? [])
      .filter((dependency) => dependency.id !== null && !dependency.id.includes('node_modules'))
      .map((dependency) => ({ from, to: dependency.id as string })),
  );
}

const functionOf = (file: string): string | undefined => /^functions\/([^/]+)\//.exec(file)?.[1];

it('reads the source roots (a broken parse must not pass as "no cycles")', () => {
  expect(Object.keys(tree).filter((file) => file.startsWith('functions/')).length).toBeGreaterThan(
    20,
  );
  expect(edges().length).toBeGreaterThan(100);
});

it('has no import cycles, type-only imports included', () => {
  expect(circular.map((cycle) => cycle.join(' -> '))).toEqual([]);
});

it('has no function importing from another function folder', () => {
  const crossing = edges().filter(({ from, to }) => {
    const owner = functionOf(from);
    const target = functionOf(to);
    return owner !== undefined && target !== undefined && owner !== target;
  });
  expect(crossing.map(({ from, to }) => `${from} -> ${to}`)).toEqual([]);
});

it('keeps shared code, the local stack and the tools independent of any function', () => {
  const reaching = edges().filter(
    ({ from, to }) => functionOf(from) === undefined && functionOf(to) !== undefined,
  );
  expect(reaching.map(({ from, to }) => `${from} -> ${to}`)).toEqual([]);
});

it(`has no source folder with more than ${MAX_FILES_PER_FOLDER} files`, () => {
  const crowded: string[] = [];
  const visit = (dir: string): void => {
    const entries = readdirSync(path.join(root, dir));
    const files = entries.filter((name) => statSync(path.join(root, dir, name)).isFile());
    if (files.length > MAX_FILES_PER_FOLDER) crowded.push(`${dir}: ${files.length} files`);
    for (const name of entries) {
      if (statSync(path.join(root, dir, name)).isDirectory()) visit(path.join(dir, name));
    }
  };
  for (const dir of sourceRoots) visit(dir);
  expect(crowded).toEqual([]);
});
