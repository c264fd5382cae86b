import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signingSecretProblems } from '../../../../functions/webhook-ingest/signatures/secret-format';
import { loadSourceCatalog } from '../../../../shared/sources/catalog';
import { runSourceCommand } from '../../../../tools/source/source';

const fixtures = path.resolve(__dirname, '../../../fixtures');

/** The command run on temporary copies of the test catalog and seed, never the real files. */
function sandbox() {
  const dir = mkdtempSync(path.join(tmpdir(), 'source-command-'));
  const files = { catalog: path.join(dir, 'sources.json'), seed: path.join(dir, 'secrets.json') };
  copyFileSync(path.join(fixtures, 'sources.json'), files.catalog);
  copyFileSync(path.join(fixtures, 'secrets.json'), files.seed);
  const output = { out: [] as string[], err: [] as string[] };
  const run = (...argv: string[]) =>
    runSourceCommand(argv, {
      env: { SOURCES_FILE: files.catalog, LOCAL_SECRETS_FILE: files.seed },
      out: (line: string) => output.out.push(line),
      err: (line: string) => output.err.push(line),
    });
  const read = (file: string) => readFileSync(file, 'utf8');
  return { dir, files, output, run, read, json: (file: string) => JSON.parse(read(file)) };
}

describe('npm run source -- add', () => {
  const boxes: ReturnType<typeof sandbox>[] = [];
  const box = () => {
    const created = sandbox();
    boxes.push(created);
    return created;
  };
  afterAll(() => {
    for (const { dir } of boxes) rmSync(dir, { recursive: true, force: true });
  });

  it.each(['stripe', 'github', 'slack', 'shopify', 'standard', 'generic'] as const)(
    'adds a %s source the loader accepts, with a secret in the scheme format',
    async (scheme) => {
      const { files, run, json } = box();

      const code = await run('add', 'acme', '--scheme', scheme);

      expect(code).toBe(0);
      const catalog = loadSourceCatalog(json(files.catalog), 'local', 'connector-suite/local');
      expect(catalog.sources.get('acme')).toMatchObject({ scheme, routes: [] });
      const secret = json(files.seed)['connector-suite/local/webhooks/acme'];
      expect(signingSecretProblems(scheme, secret)).toEqual([]);
    },
  );

  it('writes routes and the ceiling, changing only the lines of the new source', async () => {
    const { files, run, read } = box();
    const before = read(files.catalog);

    await run(
      'add',
      'acme',
      '--scheme',
      'github',
      '--route',
      'push=workflow:ci',
      '--ceiling',
      '50',
    );

    const block = [
      '      "acme": {',
      '        "scheme": "github",',
      '        "abuseCeiling": {',
      '          "perSecond": 50',
      '        },',
      '        "routes": [{ "match": "push", "to": "workflow:ci" }]',
      '      }',
    ].join('\n');
    const after = read(files.catalog);
    expect(after).toContain(`,\n${block}\n    },`);
    expect(after.replace(`,\n${block}`, '')).toBe(before);
  });

  it('prints the restart, the send command and both create-secret commands, prod without the secret', async () => {
    const { files, output, run, json } = box();

    await run('add', 'acme', '--scheme', 'standard');

    const secret = json(files.seed)['connector-suite/local/webhooks/acme'].current as string;
    const text = output.out.join('\n');
    expect(text).toContain('Restart `npm run dev`');
    expect(text).toContain('npm run send -- acme events/webhooks/standard.json --fresh');
    expect(text).toMatch(
      /create-secret --endpoint-url http:\/\/127\.0\.0\.1:4584 .*\n.*--name connector-suite\/local\/webhooks\/acme/,
    );
    const [, prod] = text.split('In AWS');
    expect(prod).toContain('--name connector-suite/<stage>/webhooks/acme');
    expect(prod).toContain(`'{"current":"<signing secret from the provider>"}'`);
    expect(prod).not.toContain(secret);
  });

  it.each([
    ['an existing name', ['add', 'stripe', '--scheme', 'stripe'], /Source "stripe" already exists/],
    ['a bad name', ['add', 'Bad_Name', '--scheme', 'github'], /source "Bad_Name": names are lower/],
    ['an unknown scheme', ['add', 'acme', '--scheme', 'fax'], /"scheme" must be one of stripe/],
    [
      'a route to an unknown template',
      ['add', 'acme', '--scheme', 'github', '--route', '*=email:nope'],
      /route 0: "to" .*"email:nope"/,
    ],
    [
      'a route to a workflow the registry lacks',
      ['add', 'acme2', '--scheme', 'standard', '--route', '*=workflow:acme2'],
      /source "acme2" route 0 \("\*" -> workflow:acme2\) names workflow "acme2", which config\/workflows\.json profile "local" does not register[\s\S]*"acme2": "webhook\/<its path on the engine>"/,
    ],
    ['a route without =', ['add', 'acme', '--scheme', 'github', '--route', 'push'], /<match>=<to>/],
    ['a zero ceiling', ['add', 'acme', '--scheme', 'github', '--ceiling', '0'], /"perSecond"/],
    ['a missing scheme', ['add', 'acme'], /^usage: npm run source/],
    ['an unknown option', ['add', 'acme', '--scheme', 'github', '--bogus'], /--bogus/],
  ])('refuses %s with exit code 2, writing nothing', async (_what, argv, message) => {
    const { files, output, run, read } = box();
    const before = [read(files.catalog), read(files.seed)];

    const code = await run(...argv);

    expect(code).toBe(2);
    expect(output.err.join('\n')).toMatch(message);
    expect([read(files.catalog), read(files.seed)]).toEqual(before);
  });

  it('adds a route to a workflow once the registry in WORKFLOWS_FILE has it', async () => {
    const { dir, files, output } = box();
    const registry = path.join(dir, 'workflows.json');
    const bundled = JSON.parse(
      readFileSync(path.join(fixtures, '../../config/workflows.json'), 'utf8'),
    );
    bundled.local.workflows.acme2 = 'webhook/acme2';
    writeFileSync(registry, JSON.stringify(bundled));

    const code = await runSourceCommand(
      ['add', 'acme2', '--scheme', 'standard', '--route', '*=workflow:acme2'],
      {
        env: {
          SOURCES_FILE: files.catalog,
          LOCAL_SECRETS_FILE: files.seed,
          WORKFLOWS_FILE: registry,
        },
        out: (line: string) => output.out.push(line),
        err: (line: string) => output.err.push(line),
      },
    );

    expect({ code, err: output.err }).toEqual({ code: 0, err: [] });
    expect(JSON.parse(readFileSync(files.catalog, 'utf8')).local.sources.acme2.routes).toEqual([
      { match: '*', to: 'workflow:acme2' },
    ]);
  });

  it('refuses a name whose secret is already in the seed', async () => {
    const { files, output, run, read } = box();
    await run('add', 'acme', '--scheme', 'github');
    const catalog = JSON.parse(read(files.catalog));
    delete catalog.local.sources.acme;
    writeFileSync(files.catalog, JSON.stringify(catalog));

    const code = await run('add', 'acme', '--scheme', 'github');

    expect(code).toBe(2);
    expect(output.err.join('\n')).toMatch(/already holds "connector-suite\/local\/webhooks\/acme"/);
  });

  it('prints what it echoes with control, bidirectional and zero-width characters made visible', async () => {
    const { output, run } = box();

    const code = await run('add', 'evil\u001b[2J\u0007\u009b\u202e', '--scheme', 'github');

    expect(code).toBe(2);
    const text = output.err.join('\n');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/u);
    expect(text).toContain('source "evil\\x1b[2J\\x07\\x9b\\u202e"');
  });

  it('explains itself with --help', async () => {
    const { output, run } = box();

    expect(await run('--help')).toBe(0);
    expect(output.out.join('\n')).toMatch(/--route <match>=<to>[\s\S]*--ceiling <N>/);
  });
});
