import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import secrets from '../fixtures/secrets.json';
import sources from '../fixtures/sources.json';
import { startOffline } from '../helpers/stack/offline-stack';

// Each case starts `npm run dev` (serverless offline start --stage local) with one kind of config
// mistake and expects it to exit non-zero naming the mistake, before any server is up. Preflight fails
// before the servers start, so each run takes a few seconds; two run at a time.

const dir = mkdtempSync(path.join(tmpdir(), 'preflight-e2e-'));
const fixtures = path.resolve(__dirname, '../fixtures');

/** Writes a variant of the test catalog or seed and returns its path. */
function variant(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(content, null, 2));
  return file;
}

function catalogWith(change: (catalog: typeof sources) => void): string {
  const catalog = structuredClone(sources);
  change(catalog);
  return variant(`sources-${Math.random().toString(36).slice(2)}.json`, catalog);
}

function seedWith(change: (seed: Record<string, unknown>) => void): string {
  const seed: Record<string, unknown> = structuredClone(secrets);
  change(seed);
  return variant(`secrets-${Math.random().toString(36).slice(2)}.json`, seed);
}

const fax = (catalog: typeof sources) => {
  (catalog.local.sources as Record<string, unknown>).fax = { scheme: 'fax' };
};
const noSlackSecret = (seed: Record<string, unknown>) => {
  delete seed['connector-suite/local/webhooks/slack'];
};

const cases: [string, Record<string, string>, RegExp[]][] = [
  [
    'an unknown scheme',
    { SOURCES_FILE: catalogWith(fax) },
    [/source "fax": "scheme" must be one of/],
  ],
  [
    'a route to an unknown template',
    {
      SOURCES_FILE: catalogWith((catalog) => {
        catalog.local.sources.github.routes.push({ match: 'x', to: 'email:nope' });
      }),
    },
    [/source "github" route 2: "to" must be .*"email:nope"/],
  ],
  [
    'a route to a workflow the registry lacks',
    {
      // What `npm run source -- add acme2 --scheme standard --route '*=workflow:acme2'` writes.
      SOURCES_FILE: catalogWith((catalog) => {
        (catalog.local.sources as Record<string, unknown>).acme2 = {
          scheme: 'standard',
          routes: [{ match: '*', to: 'workflow:acme2' }],
        };
      }),
    },
    [
      /workflow-trigger: .* source "acme2" route 0 \("\*" -> workflow:acme2\) names workflow "acme2", which config\/workflows\.json profile "local" does not register/,
    ],
  ],
  [
    'a template with placeholders in <script> and an on* handler',
    {
      SOURCES_FILE: catalogWith((catalog) => {
        const templates = catalog.local.emailTemplates as Record<string, { htmlBody?: string }>;
        (templates['invoice-paid'] as { htmlBody?: string }).htmlBody =
          '<p>{{id}}</p><script>track("{{id}}")</script><img src="https://x.test/p.png" onload="{{id}}">';
      }),
    },
    [
      /webhook-ingest: .* email template "invoice-paid" htmlBody: \{\{id\}\} is inside <script>/,
      /email template "invoice-paid" htmlBody: \{\{id\}\} is in the event handler onload= of <img>/,
    ],
  ],
  [
    'a malformed setting',
    { DEDUPE_TTL_SECONDS: '3600' },
    [/Environment variable DEDUPE_TTL_SECONDS must be a whole number .*"3600"/],
  ],
  [
    'a missing secret',
    { LOCAL_SECRETS_FILE: seedWith(noSlackSecret) },
    [/secret "connector-suite\/local\/webhooks\/slack" \(source "slack"\) is missing/],
  ],
  [
    'a secret in the wrong format',
    {
      LOCAL_SECRETS_FILE: seedWith((seed) => {
        seed['connector-suite/local/webhooks/standard'] = { current: 'not base64!' };
      }),
    },
    [/\(source "standard"\): "current" must be "whsec_" followed by non-empty base64/],
  ],
  [
    'several mistakes',
    {
      SOURCES_FILE: catalogWith(fax),
      LOCAL_SECRETS_FILE: seedWith(noSlackSecret),
      MAX_BODY_BYTES: '0',
    },
    [/3 problems/, /MAX_BODY_BYTES/, /source "fax"/, /source "slack"\) is missing/],
  ],
];

/** Runs every case, two at a time, and keeps each one's exit code and output. */
async function runAll() {
  const results = new Map<string, { exit: number | string; output: string }>();
  const queue = [...cases];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [name, env] = next;
      const run = await startOffline({
        SOURCES_FILE: path.join(fixtures, 'sources.json'),
        LOCAL_SECRETS_FILE: path.join(fixtures, 'secrets.json'),
        ...env,
      });
      let timer: NodeJS.Timeout | undefined;
      try {
        const exit = await Promise.race([
          run.exited,
          new Promise<string>((resolve) => {
            timer = setTimeout(() => resolve('still running'), 60_000);
          }),
        ]);
        results.set(name, { exit, output: run.output() });
      } finally {
        clearTimeout(timer);
        await run.stop();
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

describe('npm run dev with a config mistake', () => {
  let results: Awaited<ReturnType<typeof runAll>>;
  beforeAll(async () => {
    results = await runAll();
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(cases)(
    'exits non-zero on %s, naming it, before anything is ready',
    (name, env, expected) => {
      const result = results.get(name);

      expect(result?.exit).not.toBe(0);
      expect(result?.exit).not.toBe('still running');
      for (const pattern of expected) expect(result?.output).toMatch(pattern);
      expect(result?.output).toContain('The local stack did not start');
      expect(result?.output).not.toContain('Server ready');
      expect(result?.output).not.toContain('Local stack ready');
      // A catalog or seed mistake names the file it is in.
      const file = env.SOURCES_FILE ?? env.LOCAL_SECRETS_FILE;
      if (file) expect(result?.output).toContain(file);
    },
  );
});
