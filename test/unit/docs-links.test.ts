import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

// Every relative link and every `npm run <script>` the README and docs/ name must exist, so the
// documentation cannot point a reader at a file that moved or a script that was renamed; and every
// `#anchor` a link names in a Markdown file must be one of that file's headings.
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

/** The anchors GitHub gives a Markdown file's headings (code blocks left out; repeats get `-1`, `-2`). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of markdown
    .replace(/^```[^\n]*\n[\s\S]*?^```/gm, '')
    .matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (match[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

describe('headingAnchors', () => {
  it('follows GitHub: lower case, punctuation dropped, spaces to dashes, repeats numbered', () => {
    const anchors = headingAnchors(
      '# Direct trigger: `POST /workflows/{name}`\n## Settings\n```sh\n# not a heading\n```\n## Settings\n',
    );
    expect([...anchors]).toEqual(['direct-trigger-post-workflowsname', 'settings', 'settings-1']);
  });
});

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

  it('links only to headings that exist', () => {
    const broken = [...text.matchAll(/\]\(([^)\s]*#[^)\s]+)\)/g)]
      .map((match) => match[1] ?? '')
      .filter((target) => !/^(https?:|mailto:)/.test(target))
      .filter((target) => {
        const [file = '', anchor = ''] = target.split('#');
        if (file !== '' && !file.endsWith('.md')) return false;
        const markdown =
          file === ''
            ? text
            : readFileSync(path.resolve(root, path.dirname(document), file), 'utf8');
        return !headingAnchors(markdown).has(anchor);
      });
    expect(broken).toEqual([]);
  });

  it('names only npm scripts that exist', () => {
    const named = [...text.matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map((match) => match[1]);
    expect(named.filter((name) => !scripts.includes(name ?? ''))).toEqual([]);
  });
});
