// Runs one of the project's TypeScript command-line tools on a fresh clone after `npm ci`: esbuild
// bundles the entry in memory (packages stay in node_modules) and the bundle runs in this process.
// Usage: node tools/run-ts.js <entry.ts> [arguments...]; the entry exports `main(args)` resolving to
// the exit code.

const Module = require('node:module');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/**
 * Bundles `entry` and loads it as a CommonJS module whose requires resolve from the repository.
 * @param {string} entry a path relative to the repository
 * @returns {Promise<Record<string, unknown>>} the module's exports
 */
async function loadTypeScript(entry) {
  const esbuild = require('esbuild');
  const file = path.resolve(root, entry);
  const result = await esbuild.build({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    sourcemap: 'inline',
    write: false,
    logLevel: 'error',
  });
  const code = /** @type {{ text: string }} */ (result.outputFiles[0]).text;
  const bundled = `${file}.bundle.js`;
  const loaded = new Module(bundled, module);
  loaded.filename = bundled;
  // The bundle's requires of packages resolve like the entry's own would.
  loaded.paths = /** @type {any} */ (Module)._nodeModulePaths(path.dirname(file));
  /** @type {any} */ (loaded)._compile(code, bundled);
  return loaded.exports;
}

async function run() {
  const [entry, ...args] = process.argv.slice(2);
  if (!entry) {
    process.stderr.write('usage: node tools/run-ts.js <entry.ts> [arguments...]\n');
    process.exitCode = 2;
    return;
  }
  process.setSourceMapsEnabled(true);
  const entryModule = await loadTypeScript(entry);
  const main = /** @type {(args: string[]) => Promise<number>} */ (entryModule.main);
  process.exitCode = await main(args);
}

run().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  process.exitCode = 1;
});
