import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Every relative link and every `npm run <script>` the README and docs/ name must exist, so the
// documentation cannot point a reader at a file that moved or a script that was renamed.
const root = path.resolve(__dirname, '..', '..');
const documents = [
  'README.md',
  'bench/README.md',
  ...readdirSync(path.join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const scripts = Object.keys(
  (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: object })
    .scripts,
);

describe.each(documents)('%s', (document) => {
  const text = readFileSync(path.join(root, document), 'utf8');

  it('links only to files that exist', () => {
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((match) => match[1] ?? '')
      .filter((target) => !/^(https?:|mailto:|#)/.test(target))
      .map((target) => target.replace(/#.*$/, ''));
    const missing = links.filter((target) => {
      try {
        readFileSync(path.resolve(root, path.dirname(document), target));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const named = [...text.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((match) => match[1]);
    expect(named.filter((name) => !scripts.includes(name ?? ''))).toEqual([]);
  });
});
