import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { deployBuildOptions } from '../../../local/offline/build';

/**
 * Every function's deploy bundle (serverless-esbuild's options from `custom.esbuild`, `serverless
 * print --stage prod`) holds no SDK code the functions never reach, and reaches the project's own
 * modules through static imports only. A module
 * reached through `require()` or `import()` is wrapped by esbuild, and so is everything it imports, and
 * wrapped modules keep code tree shaking would drop: loading workflow-api's SQS client lazily that way
 * made its bundle 12 KB larger and its import about 2 ms slower than importing it at init (issue 19,
 * measured 2026-12-06 with `npm run bench`).
 */

const root = path.resolve(__dirname, '..', '..', '..');

/** `serverless print --stage prod`, as the deploy resolves the service. */
function printProdService(): {
  custom: { esbuild: Record<string, unknown> };
  provider: { environment: Record<string, unknown> };
  functions: Record<string, { environment?: Record<string, unknown> }>;
} {
  const cli = path.join(root, 'node_modules', '.bin', 'serverless');
  const result = spawnSync(
    process.execPath,
    [cli, 'print', '--stage', 'prod', '--format', 'json'],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        AWS_ACCESS_KEY_ID: 'unit',
        AWS_SECRET_ACCESS_KEY: 'unit',
      },
    },
  );
  if (result.status !== 0) throw new Error(`serverless print failed: ${result.stderr}`);
  return JSON.parse(result.stdout.slice(result.stdout.indexOf('{')));
}

/**
 * SDK code none of the functions reaches: the credential providers Lambda never gets to (credentials
 * are in the environment) and the event-stream serde (no operation called has an event stream).
 */
const NEVER_BUNDLED = [
  /node_modules\/@aws-sdk\/credential-provider-(http|ini|login|process|sso|web-identity)\//,
  /node_modules\/@aws-sdk\/(nested-clients|token-providers)\//,
  /node_modules\/@smithy\/credential-provider-imds\//,
  /node_modules\/@smithy\/core\/dist-[a-z]+\/submodules\/event-streams\//,
];

/** The function folders of the service (each has a handler.ts). */
const functionFolders = readdirSync(path.join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe("deploy bundles: no unreachable SDK code, the project's modules imported statically", () => {
  let service: ReturnType<typeof printProdService>;
  let dir: string;

  beforeAll(() => {
    service = printProdService();
    dir = mkdtempSync(path.join(tmpdir(), 'bundle-shape-'));
  }, 90_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the functions to check', () => {
    expect(functionFolders).toEqual(
      expect.arrayContaining(['email-batcher', 'webhook-ingest', 'workflow-api']),
    );
  });

  it.each(functionFolders)(
    '%s holds no SDK code it never reaches and imports functions/ and shared/ statically',
    async (name) => {
      const result = await build({
        ...deployBuildOptions(service.custom.esbuild),
        entryPoints: [path.join(root, 'functions', name, 'handler.ts')],
        outdir: path.join(dir, name),
        metafile: true,
        logLevel: 'error',
      });
      const inputs = Object.entries(result.metafile.inputs);
      const project = (file: string) =>
        /^(functions|shared)\//.test(path.relative(root, path.resolve(file)));
      expect(inputs.filter(([file]) => project(file)).length).toBeGreaterThan(3);
      const lazy = inputs.flatMap(([file, input]) =>
        input.imports
          .filter(
            (imported) => imported.kind === 'require-call' || imported.kind === 'dynamic-import',
          )
          .filter((imported) => !imported.external && project(imported.path))
          .map(
            (imported) =>
              `${path.relative(root, path.resolve(file))} -> ${path.relative(root, path.resolve(imported.path))} (${imported.kind})`,
          ),
      );
      expect(lazy).toEqual([]);
      // Code no function reaches stays out of every cold start (`custom.esbuild.exclude`).
      const left = inputs
        .map(([file]) => file)
        .filter((file) => NEVER_BUNDLED.some((pattern) => pattern.test(file)));
      expect(left).toEqual([]);
    },
    60_000,
  );
});
