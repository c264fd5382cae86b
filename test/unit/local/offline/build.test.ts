import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildFunctionsForOffline } from '../../../../local/offline/build';
import { waitFor } from '../../../helpers/wait';

describe('npm run dev: one esbuild call bundles every function', () => {
  let dir: string;
  let stop: (() => Promise<void>) | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'offline-build-'));
    for (const name of ['alpha', 'beta']) {
      mkdirSync(path.join(dir, 'functions', name), { recursive: true });
      writeFileSync(
        path.join(dir, 'functions', name, 'handler.ts'),
        `import { shared } from '../../shared/value';\nexport const handler = async () => shared('${name}');\n`,
      );
    }
    mkdirSync(path.join(dir, 'shared'));
    writeFileSync(
      path.join(dir, 'shared', 'value.ts'),
      "export const shared = (n: string) => 'v1 ' + n;\n",
    );
  });

  afterEach(async () => {
    await stop?.();
    stop = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes one standalone bundle per handler, rebuilds on an edit and removes its directory on stop', async () => {
    let rebuilt = 0;
    const build = await buildFunctionsForOffline({
      serviceDir: dir,
      functions: {
        alpha: { handler: 'functions/alpha/handler.handler' },
        beta: { handler: 'functions/beta/handler.handler' },
        // Two functions on one handler file build it once.
        gamma: { handler: 'functions/beta/handler.handler' },
      },
      custom: { bundle: true, platform: 'node', target: 'node22', format: 'cjs', exclude: [] },
      onRebuild: () => {
        rebuilt += 1;
      },
      log: () => {},
    });
    stop = build.stop;
    expect(build.entries).toEqual(['functions/alpha/handler.ts', 'functions/beta/handler.ts']);
    expect(build.buildDir).toBe(path.join(dir, '.esbuild', `offline-${process.pid}`));
    const bundle = (name: string) =>
      readFileSync(path.join(build.buildDir, 'functions', name, 'handler.js'), 'utf8');
    // Each bundle carries the shared module itself (no chunk shared between functions).
    expect(bundle('alpha')).toContain('v1 ');
    expect(bundle('beta')).toContain('v1 ');
    expect(rebuilt).toBe(0);

    writeFileSync(
      path.join(dir, 'shared', 'value.ts'),
      "export const shared = (n: string) => 'v2 ' + n;\n",
    );
    await waitFor(
      'a rebuild after the edit',
      () => rebuilt > 0 && bundle('alpha').includes('v2 '),
      15_000,
    );

    await build.stop();
    stop = undefined;
    expect(existsSync(build.buildDir)).toBe(false);
  });

  it('removes the build directory of an offline start that is gone', async () => {
    const stale = path.join(dir, '.esbuild', 'offline-999999999');
    mkdirSync(stale, { recursive: true });
    const build = await buildFunctionsForOffline({
      serviceDir: dir,
      functions: { alpha: { handler: 'functions/alpha/handler.handler' } },
      custom: { exclude: [] },
      onRebuild: () => {},
      log: () => {},
    });
    stop = build.stop;
    expect(existsSync(stale)).toBe(false);
  });
});
