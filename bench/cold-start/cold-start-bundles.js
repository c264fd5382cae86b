// Cold start, the bundles compared: the deploy bundle (serverless-esbuild's options from
// `custom.esbuild`) against a naive bundle of the same entry (esbuild defaults: bundle, platform node,
// nothing else), plus the naive one minified for its size alone.

const fs = require('node:fs');
const path = require('node:path');
const { deployBuildOptions } = require('../../local/offline/build');

/**
 * The esbuild options of each variant for one entry. `naive` is the baseline the target is measured
 * against: esbuild's defaults, never tuned.
 * @param {{ entry: string, outBase: string, custom: Record<string, any> }} options `custom`:
 *   `custom.esbuild` of the service
 * @returns {Record<'real' | 'naive' | 'naiveMinified', Record<string, any>>}
 */
function bundleVariants({ entry, outBase, custom }) {
  const naive = { entryPoints: [entry], bundle: true, platform: 'node' };
  return {
    real: { ...deployBuildOptions(custom), entryPoints: [entry], outdir: `${outBase}/real` },
    naive: { ...naive, outdir: `${outBase}/naive` },
    naiveMinified: { ...naive, minify: true, outdir: `${outBase}/naive-minified` },
  };
}

/**
 * Builds each variant; answers each bundle's file and size, and the esbuild metafile (which inputs
 * went into it) when `metafile` is asked for.
 * @param {Record<string, Record<string, any>>} variants
 * @param {{ metafile?: boolean }} [options]
 * @returns {Promise<Record<string, { file: string, bytes: number, metafile?: any }>>}
 */
async function buildBundles(variants, { metafile = false } = {}) {
  const esbuild = require('esbuild');
  /** @type {Record<string, { file: string, bytes: number, metafile?: any }>} */
  const bundles = {};
  for (const [name, options] of Object.entries(variants)) {
    const result = await esbuild.build(
      /** @type {import('esbuild').BuildOptions} */ ({ ...options, metafile, logLevel: 'error' }),
    );
    const entry = /** @type {string} */ (options.entryPoints[0]);
    const extension = options.outExtension?.['.js'] ?? '.js';
    const file = path.join(
      options.outdir,
      `${path.basename(entry, path.extname(entry))}${extension}`,
    );
    bundles[name] = { file, bytes: fs.statSync(file).size, metafile: result.metafile };
  }
  return bundles;
}

module.exports = { bundleVariants, buildBundles };
