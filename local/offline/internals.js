/**
 * Loads the few serverless-offline internals that local/offline/http-errors-plugin.js hooks, from
 * the same files serverless-offline itself runs (one ES module instance per file, so a change to a
 * prototype here is seen by serverless-offline), and checks that each still has the shape the hooks
 * rely on. An upgrade that moves or renames one fails `serverless offline start` with a message
 * saying what is missing, rather than silently bringing back the `200` for a failed handler.
 */

const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

/** The serverless-offline release the hooks were written against and tested with. */
const TESTED_OFFLINE_VERSION = '14.8.2';

/**
 * @typedef {(...args: any[]) => any} AnyFunction
 * @typedef {object} OfflineInternals
 * @property {string} version the installed serverless-offline version
 * @property {{ prototype: { runHandler: AnyFunction } }} LambdaFunction one function instance; the
 *   HTTP server and the Lambda API both run handlers through `runHandler()`
 * @property {{ prototype: { createRoutes: AnyFunction, getServer: AnyFunction,
 *   writeRoutesTerminal: AnyFunction } }} HttpServer API Gateway's stand-in (hapi)
 * @property {new (...args: any[]) => Error} LambdaTimeoutError what `runHandler()` throws when the
 *   function outlives its timeout
 */

/** Thrown when the installed serverless-offline lacks an internal the hooks need. */
class OfflineInternalsError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'OfflineInternalsError';
  }
}

/**
 * Each internal: its file under serverless-offline's `src/`, and the prototype methods it must have
 * (an empty list: the default export itself must be a class).
 * @type {Record<keyof Omit<OfflineInternals, 'version'>, { file: string, methods: string[] }>}
 */
const EXPECTED = {
  LambdaFunction: { file: 'lambda/LambdaFunction.js', methods: ['runHandler'] },
  HttpServer: {
    file: 'events/http/HttpServer.js',
    methods: ['createRoutes', 'getServer', 'writeRoutesTerminal'],
  },
  LambdaTimeoutError: { file: 'errors/LambdaTimeoutError.js', methods: [] },
};

/**
 * The serverless-offline package that serverless resolves for this service.
 * @param {string} serviceDir
 * @returns {{ root: string, version: string }}
 */
function locateOffline(serviceDir) {
  let entry;
  try {
    entry = require.resolve('serverless-offline', { paths: [serviceDir] });
  } catch {
    throw new OfflineInternalsError(`serverless-offline is not installed (from ${serviceDir})`);
  }
  // `exports` hides package.json from require: read it beside src/.
  const root = path.resolve(path.dirname(entry), '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return { root, version: String(version) };
}

/**
 * @param {string} serviceDir where serverless runs (its plugins resolve from there)
 * @returns {Promise<OfflineInternals>}
 */
async function loadOfflineInternals(serviceDir) {
  const { root, version } = locateOffline(serviceDir);
  /** @type {Record<string, any>} */
  const loaded = { version };
  /** @type {string[]} */
  const missing = [];
  for (const [name, { file, methods }] of Object.entries(EXPECTED)) {
    const absolute = path.join(root, 'src', file);
    /** @type {any} */
    let exported;
    try {
      exported = (await import(pathToFileURL(absolute).href)).default;
    } catch (error) {
      missing.push(`${name} (${file}: ${/** @type {Error} */ (error).message})`);
      continue;
    }
    const absentMethods = methods.filter((m) => typeof exported?.prototype?.[m] !== 'function');
    if (typeof exported !== 'function' || absentMethods.length > 0) {
      missing.push(`${name}${absentMethods.map((m) => `.${m}()`).join(', ')} (${file})`);
      continue;
    }
    loaded[name] = exported;
  }
  if (missing.length > 0) {
    throw new OfflineInternalsError(
      `serverless-offline ${version} lacks what local/offline/http-errors-plugin.js hooks ` +
        `(written for ${TESTED_OFFLINE_VERSION}): ${missing.join('; ')}. Without it a failed ` +
        'handler would answer 200; adapt the plugin and run test/integration/offline-faults.test.ts.',
    );
  }
  return /** @type {OfflineInternals} */ (loaded);
}

module.exports = { loadOfflineInternals, OfflineInternalsError, TESTED_OFFLINE_VERSION };
