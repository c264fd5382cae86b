import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Plugin } from 'esbuild';
import { build } from 'esbuild';
import { deployBuildOptions } from '../../../local/offline/build';

/**
 * Modules meant for a rare path stay out of a function's cold start (issue 19), in the bundle as
 * deployed: built with serverless-esbuild's options from `custom.esbuild` (`serverless print --stage
 * prod`), each lazy module marked so that running it leaves a trace, then required in a fresh `node`
 * process as Lambda does at init.
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

/** Appends `globalThis.__lazyModulesRun.push(<label>)` to each module whose path ends as given. */
function markModules(marks: Record<string, string>): Plugin {
  return {
    name: 'mark-lazy-modules',
    setup(builder) {
      builder.onLoad({ filter: /\.(ts|js)$/ }, (args) => {
        const label = Object.entries(marks).find(([suffix]) => args.path.endsWith(suffix))?.[1];
        if (label === undefined) return undefined;
        const source = readFileSync(args.path, 'utf8');
        return {
          contents: `${source}\n;(globalThis.__lazyModulesRun ??= []).push(${JSON.stringify(label)});\n`,
          loader: args.path.endsWith('.ts') ? 'ts' : 'js',
        };
      });
    },
  };
}

/** A function's environment as deployed, with placeholders for what CloudFormation fills in. */
function environmentOf(service: ReturnType<typeof printProdService>, name: string) {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'unit',
    AWS_SECRET_ACCESS_KEY: 'unit',
  };
  const declared = { ...service.provider.environment, ...service.functions[name]?.environment };
  for (const [key, value] of Object.entries(declared)) {
    if (typeof value === 'string' && value !== '') env[key] = value;
    else if (key.endsWith('_URL')) env[key] = 'https://example.invalid/';
    else
      env[key] = typeof value === 'object' && value !== null ? 'placeholder' : String(value ?? '');
  }
  return env;
}

describe('cold start: modules of rare paths are not loaded at init (deploy bundle)', () => {
  let service: ReturnType<typeof printProdService>;
  let dir: string;

  beforeAll(() => {
    service = printProdService();
    dir = mkdtempSync(path.join(tmpdir(), 'lazy-loading-'));
  }, 90_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('workflow-api loads the SQS client and its enqueue only when a call falls back to the queue', async () => {
    const outdir = path.join(dir, 'workflow-api');
    await build({
      ...deployBuildOptions(service.custom.esbuild),
      entryPoints: [path.join(root, 'functions', 'workflow-api', 'handler.ts')],
      outdir,
      logLevel: 'error',
      plugins: [
        markModules({
          '@aws-sdk/client-sqs/dist-es/SQSClient.js': 'SQSClient',
          'functions/workflow-api/enqueue.ts': 'enqueue',
          'shared/clients/sqs.ts': 'shared/clients/sqs',
          // Loaded at init on purpose: proves the marks run at all.
          'functions/workflow-api/api.ts': 'api',
        }),
      ],
    });
    const script = `
      const bundle = require(${JSON.stringify(path.join(outdir, 'handler.js'))});
      const atInit = [...(globalThis.__lazyModulesRun ?? [])];
      bundle.loadSqsClient().then((client) => {
        process.stdout.write(JSON.stringify({
          atInit,
          afterLoad: globalThis.__lazyModulesRun,
          client: typeof client?.send,
        }));
      });`;
    const result = spawnSync(process.execPath, ['-e', script], {
      env: environmentOf(service, 'workflow-api'),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toBe('');
    const run = JSON.parse(result.stdout);
    expect(run.atInit).toEqual(['api']);
    expect(run.afterLoad).toEqual(expect.arrayContaining(['SQSClient', 'shared/clients/sqs']));
    expect(run.afterLoad).not.toContain('enqueue');
    expect(run.client).toBe('function');
  }, 60_000);
});
