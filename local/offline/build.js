/**
 * The functions' bundles for `npm run dev`, built in one esbuild call.
 *
 * serverless-esbuild (which `npm run package` keeps using) bundles each function on its own: every
 * bundle parses the AWS SDK and middy again, about 6 s of CPU for five functions on a 2-core machine,
 * the largest part of `npm run dev`'s start. One build with every handler as an entry point parses each
 * module once and writes the same bundles (no code splitting: each output stands alone, as deployed),
 * with the options serverless-esbuild derives from `custom.esbuild`. Written here rather than taken
 * from a library because it is one esbuild call; what it must match is serverless-esbuild's option
 * handling, kept beside it in `deployBuildOptions`.
 *
 * Each `offline start` builds into a directory of its own (`.esbuild/offline-<pid>/`, removed when it
 * stops), so stacks started side by side from one checkout (npm test's groups) never load a bundle
 * another one is writing. When it runs at a terminal, edits rebuild the bundles (esbuild's watch
 * mode) and serverless-offline loads the new ones at the next invocation.
 */

const fs = require('node:fs');
const path = require('node:path');

/** Options serverless-esbuild uses itself and does not pass to esbuild (its bundle.js list). */
const PLUGIN_ONLY_OPTIONS = [
  'concurrency',
  'zipConcurrency',
  'exclude',
  'nativeZip',
  'packager',
  'packagePath',
  'watch',
  'keepOutputDirectory',
  'packagerOptions',
  'installExtraArgs',
  'outputFileExtension',
  'outputBuildFolder',
  'outputWorkFolder',
  'nodeExternals',
  'skipBuild',
  'skipRebuild',
  'skipBuildExcludeFns',
  'stripEntryResolveExtensions',
  'disposeContext',
  'config',
];

const WORK_FOLDER = '.esbuild';
const OFFLINE_PREFIX = 'offline-';

/**
 * esbuild options exactly as serverless-esbuild derives them from `custom.esbuild` (defaults
 * bundle, platform node, target from the runtime; plugin-only keys removed; `exclude` made external).
 * @param {Record<string, any>} custom `custom.esbuild`
 * @returns {Record<string, any>}
 */
function deployBuildOptions(custom) {
  const merged = { bundle: true, platform: 'node', target: 'node18', external: [], ...custom };
  const exclude = Array.isArray(custom.exclude) ? custom.exclude : ['aws-sdk'];
  /** @type {Record<string, any>} */
  const options = {};
  for (const [key, value] of Object.entries(merged)) {
    if (!PLUGIN_ONLY_OPTIONS.includes(key)) options[key] = value;
  }
  options.external = [...(merged.external ?? []), ...(exclude.includes('*') ? [] : exclude)];
  return options;
}

/**
 * The source file of a handler `functions/<dir>/handler.<export>`, relative to `serviceDir`.
 * @param {string} serviceDir
 * @param {string} handler
 * @returns {string}
 */
function entryOf(serviceDir, handler) {
  const file = handler.slice(0, handler.lastIndexOf('.'));
  for (const extension of ['.ts', '.js', '.mts', '.mjs', '.cjs']) {
    if (fs.existsSync(path.join(serviceDir, `${file}${extension}`))) return `${file}${extension}`;
  }
  throw new Error(`No source file for handler ${handler}`);
}

/**
 * Whether a process is still running.
 * @param {number} pid
 */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * Removes the build directories of `offline start` processes that are gone (killed before they could
 * remove their own).
 * @param {string} workDir
 */
function removeStaleBuilds(workDir) {
  let entries = [];
  try {
    entries = fs.readdirSync(workDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const pid = Number(entry.startsWith(OFFLINE_PREFIX) ? entry.slice(OFFLINE_PREFIX.length) : NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !isRunning(pid)) {
      fs.rmSync(path.join(workDir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Builds every function's handler in one esbuild call into a directory of this process, and keeps
 * rebuilding on edits. Resolves once the first build is written.
 * @param {{ serviceDir: string, functions: Record<string, { handler?: string }>,
 *   custom: Record<string, any>, onRebuild: () => void, log: (message: string) => void,
 *   watch?: boolean }} options `watch`: rebuild on edits (default true)
 * @returns {Promise<{ buildDir: string, entries: string[], stop: () => Promise<void> }>}
 */
async function buildFunctionsForOffline({
  serviceDir,
  functions,
  custom,
  onRebuild,
  log,
  watch = true,
}) {
  const esbuild = require('esbuild');
  const workDir = path.join(serviceDir, WORK_FOLDER);
  removeStaleBuilds(workDir);
  const buildDir = path.join(workDir, `${OFFLINE_PREFIX}${process.pid}`);
  const entries = [
    ...new Set(
      Object.values(functions)
        .map((fn) => fn.handler)
        .filter((handler) => typeof handler === 'string')
        .map((handler) => entryOf(serviceDir, /** @type {string} */ (handler))),
    ),
  ];
  let builds = 0;
  const context = await esbuild.context({
    ...deployBuildOptions(custom),
    absWorkingDir: serviceDir,
    entryPoints: entries,
    outdir: buildDir,
    outbase: serviceDir,
    logLevel: 'silent',
    plugins: [
      {
        name: 'connector-suite-offline-reload',
        setup(build) {
          build.onEnd((result) => {
            builds += 1;
            if (builds === 1) return;
            if (result.errors.length > 0) {
              log(`Rebuild failed: ${result.errors.map((error) => error.text).join('; ')}`);
              return;
            }
            log('Functions rebuilt after an edit; the next invocation loads them.');
            onRebuild();
          });
        },
      },
    ],
  });
  try {
    await context.rebuild();
  } catch (error) {
    await context.dispose();
    fs.rmSync(buildDir, { recursive: true, force: true });
    throw error;
  }
  // Rebuilding on edits is for a developer at a terminal; stacks started by tests and benchmarks
  // (output to a pipe or a file) skip esbuild's watcher, which polls the tree while it runs.
  if (watch) await context.watch();
  return {
    buildDir,
    entries,
    stop: async () => {
      await context.dispose();
      fs.rmSync(buildDir, { recursive: true, force: true });
    },
  };
}

/**
 * Whether the framework runs `offline start` (or `offline`, its default command).
 * @param {any} serverless
 * @returns {boolean}
 */
function isOfflineStart(serverless) {
  const commands = serverless.processedInput?.commands ?? [];
  return commands[0] === 'offline' && (commands[1] ?? 'start') === 'start';
}

module.exports = {
  isOfflineStart,
  buildFunctionsForOffline,
  deployBuildOptions,
  entryOf,
  PLUGIN_ONLY_OPTIONS,
};
