/**
 * Where serverless-offline listens, resolved the way it resolves its own options (command-line
 * options over `custom.serverless-offline` over its defaults), and the URLs derived from that.
 */

/** serverless-offline's own defaults for the settings read here. */
const OFFLINE_DEFAULTS = Object.freeze({ host: 'localhost', httpPort: 3000, lambdaPort: 3002 });

/**
 * @typedef {object} OfflineSettings
 * @property {string} host
 * @property {number} httpPort the HTTP API (API Gateway)
 * @property {number} lambdaPort the Lambda invoke API (what @aws-sdk/client-lambda talks to)
 */

/**
 * @param {{ custom?: Record<string, any> } | undefined} service the serverless service
 * @param {Record<string, unknown>} cliOptions
 * @returns {OfflineSettings}
 */
function offlineSettings(service, cliOptions) {
  const custom = service?.custom?.['serverless-offline'] ?? {};
  /** @param {'host' | 'httpPort' | 'lambdaPort'} key */
  const pick = (key) => cliOptions[key] ?? custom[key] ?? OFFLINE_DEFAULTS[key];
  return {
    host: String(pick('host')),
    httpPort: Number(pick('httpPort')),
    lambdaPort: Number(pick('lambdaPort')),
  };
}

/**
 * The URL that invokes one function through the Lambda API: keyed by the function's deployed name
 * (`<service>-<stage>-<key>`), not by its key in serverless.yml, exactly as in AWS.
 * @param {string} lambdaEndpoint e.g. `http://127.0.0.1:3002`
 * @param {string} functionName
 * @returns {string}
 */
function invokeUrl(lambdaEndpoint, functionName) {
  return `${lambdaEndpoint}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`;
}

module.exports = { OFFLINE_DEFAULTS, offlineSettings, invokeUrl };
