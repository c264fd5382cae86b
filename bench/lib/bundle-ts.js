const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');

/**
 * Bundles the project's TypeScript modules named by `exports` (lines such as
 * `export { x } from './functions/y/z';`, relative to the repository) into one CommonJS file, with
 * packages left to node_modules so the SDK classes are the ones the benchmark's process uses.
 * @param {string} outfile where to write it; `node_modules` must resolve from its folder to the repo's
 * @param {string[]} exports
 * @returns {Promise<string>} the file written
 */
async function bundleTypeScript(outfile, exports) {
  const esbuild = require('esbuild');
  await esbuild.build({
    stdin: {
      contents: exports.join('\n'),
      resolveDir: root,
      loader: 'ts',
      sourcefile: `${path.basename(outfile, '.js')}-entry.ts`,
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    packages: 'external',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

module.exports = { bundleTypeScript };
