import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');

/**
 * Loads the internals the way the plugin does, in a plain Node process: the loader imports ES
 * modules by file URL, which jest's CommonJS sandbox cannot.
 */
function loadInternals(serviceDir: string): {
  version?: string;
  hooked?: string[];
  error?: string;
} {
  const script = `
    const { loadOfflineInternals } = require(process.argv[1]);
    loadOfflineInternals(process.argv[2]).then(
      (internals) => console.log(JSON.stringify({ version: internals.version,
        hooked: Object.keys(internals).filter((k) => k !== 'version').sort() })),
      (error) => console.log(JSON.stringify({ error: error.message })),
    );`;
  const output = execFileSync(
    process.execPath,
    ['-e', script, path.join(root, 'local/offline/internals.js'), serviceDir],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return JSON.parse(output);
}

/** A stand-in serverless-offline package whose LambdaFunction lost `runHandler`. */
function fakeOffline(dir: string): void {
  const pkg = path.join(dir, 'node_modules', 'serverless-offline');
  const file = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(pkg, relative)), { recursive: true });
    writeFileSync(path.join(pkg, relative), text);
  };
  file(
    'package.json',
    JSON.stringify({
      name: 'serverless-offline',
      version: '15.0.0',
      type: 'module',
      exports: { '.': './src/index.js' },
    }),
  );
  file('src/index.js', 'export default class ServerlessOffline {}\n');
  file('src/lambda/LambdaFunction.js', 'export default class LambdaFunction { run() {} }\n');
  file(
    'src/events/http/HttpServer.js',
    'export default class HttpServer { createRoutes() {} getServer() {} writeRoutesTerminal() {} }\n',
  );
  file(
    'src/errors/LambdaTimeoutError.js',
    'export default class LambdaTimeoutError extends Error {}\n',
  );
}

describe('serverless-offline internals hooked by the HTTP errors plugin', () => {
  it('are all present in the installed serverless-offline', () => {
    expect(loadInternals(root)).toEqual({
      version: '14.8.2',
      hooked: ['HttpServer', 'LambdaFunction', 'LambdaTimeoutError'],
    });
  });

  it('fail the start, naming what is missing, when an upgrade drops one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'offline-internals-'));
    try {
      fakeOffline(dir);

      const { error } = loadInternals(dir);

      expect(error).toMatch(/serverless-offline 15\.0\.0 lacks what/);
      expect(error).toMatch(/LambdaFunction\.runHandler\(\) \(lambda\/LambdaFunction\.js\)/);
      expect(error).not.toMatch(/HttpServer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
