const { AsyncLocalStorage } = require('node:async_hooks');
const { loadOfflineInternals, TESTED_OFFLINE_VERSION } = require('./internals');
const { formatRouteReport } = require('./route-report');
const { offlineSettings } = require('./settings');

/**
 * What API Gateway answers when the function fails (it threw, or its module failed at init) or
 * outlives its timeout: a 5xx with a fixed body, never the error itself.
 * @param {boolean} httpApi an HTTP API route (`httpApi` event) rather than a REST API one (`http`)
 * @param {boolean} timedOut
 * @returns {{ status: number, message: string }}
 */
function gatewayError(httpApi, timedOut) {
  if (httpApi) {
    return timedOut
      ? { status: 503, message: 'Service Unavailable' }
      : { status: 500, message: 'Internal Server Error' };
  }
  return timedOut
    ? { status: 504, message: 'Endpoint request timed out' }
    : { status: 502, message: 'Internal server error' };
}

/**
 * @typedef {{ failed: boolean, failure?: unknown }} RequestScope how one HTTP request's function
 *   run ended (`failed`: a handler can throw `undefined`)
 * @typedef {{ error: (m: string) => void, warn: (m: string) => void, notice: (m: string) => void }} Log
 * @typedef {{ functionKey: string, method: string, path: string }} RecordedRoute
 */

/** Set around each HTTP route's handler, so the hooked `runHandler()` knows whom to tell. */
const requestScope = /** @type {AsyncLocalStorage<RequestScope>} */ (new AsyncLocalStorage());

/** @type {WeakMap<object, RecordedRoute[]>} routes by serverless-offline HttpServer instance */
const routesByServer = new WeakMap();

/** @type {Promise<void> | undefined} the hooks go in once per process (they change prototypes) */
let installation;

/**
 * Serverless plugin, listed before serverless-offline: makes serverless offline's HTTP API answer a
 * function that throws, fails at init or times out as API Gateway does (HTTP API: `500`
 * `{"message":"Internal Server Error"}`, `503` `{"message":"Service Unavailable"}` on a timeout),
 * instead of serverless-offline 14's `200` with the error message and stack trace, which a sender
 * takes for a delivery. The error is logged here. The Lambda invoke API is left as it is: there, as
 * in AWS, a function error is a `200` with `X-Amz-Function-Error`.
 *
 * It also prints the routes with invoke URLs that work (the Lambda API's port, the function's
 * deployed name).
 */
class OfflineHttpErrorsPlugin {
  /**
   * @param {any} serverless
   * @param {Record<string, unknown>} options CLI options
   * @param {{ log?: any }} [utils]
   */
  constructor(serverless, options, utils = {}) {
    this.serverless = serverless;
    this.options = options;
    const log = utils.log ?? console;
    /** @type {Log} */
    this.log = {
      error: (m) => log.error(m),
      warn: (m) => (log.warning ?? log.warn).call(log, m),
      notice: (m) => (log.notice ?? log.info).call(log, m),
    };
    const install = () => this.install();
    // `offline start` runs the :init event, plain `offline` the :start one; both create the servers.
    this.hooks = { 'before:offline:start': install, 'before:offline:start:init': install };
  }

  install() {
    installation ??= this.hookOffline().catch((/** @type {Error} */ error) => {
      throw new this.serverless.classes.Error(error.message);
    });
    return installation;
  }

  async hookOffline() {
    const internals = await loadOfflineInternals(this.serverless.serviceDir ?? process.cwd());
    if (internals.version !== TESTED_OFFLINE_VERSION) {
      this.log.warn(
        `serverless-offline ${internals.version}: local/offline/http-errors-plugin.js was tested ` +
          `with ${TESTED_OFFLINE_VERSION}; run test/integration/offline-faults.test.ts.`,
      );
    }
    const { LambdaFunction, HttpServer, LambdaTimeoutError } = internals;
    const plugin = this;

    const runHandler = LambdaFunction.prototype.runHandler;
    /** @this {unknown} @param {unknown[]} args */
    LambdaFunction.prototype.runHandler = async function runHandlerTellingTheRoute(...args) {
      const scope = requestScope.getStore();
      try {
        return await runHandler.apply(this, args);
      } catch (error) {
        if (scope) Object.assign(scope, { failed: true, failure: error });
        throw error;
      }
    };

    const createRoutes = HttpServer.prototype.createRoutes;
    /**
     * @this {{ getServer: () => any }}
     * @param {string} functionKey
     * @param {{ isHttpApi?: boolean, routeKey?: string, method?: string }} httpEvent
     * @param {unknown[]} rest
     */
    HttpServer.prototype.createRoutes = function createRoutesLikeApiGateway(
      functionKey,
      httpEvent,
      ...rest
    ) {
      const server = this.getServer();
      const route = server?.route;
      if (typeof route !== 'function') throw new Error('serverless-offline: no hapi server.route');
      const routes = routesByServer.get(this) ?? [];
      routesByServer.set(this, routes);
      let registered = false;
      // Only for this call: the hapi route serverless-offline registers gets our handler around its.
      server.route = (/** @type {any} */ config) => {
        registered = true;
        routes.push({ functionKey, method: String(config.method), path: String(config.path) });
        const wrapped = plugin.answerLikeApiGateway(config.handler, functionKey, {
          httpApi: Boolean(httpEvent.isHttpApi),
          LambdaTimeoutError,
        });
        return route.call(server, { ...config, handler: wrapped });
      };
      let result;
      try {
        result = createRoutes.call(this, functionKey, httpEvent, ...rest);
      } finally {
        delete server.route;
        if (server.route !== route) server.route = route;
      }
      const method = httpEvent.isHttpApi ? httpEvent.routeKey?.split(' ')[0] : httpEvent.method;
      // serverless-offline skips HEAD routes on purpose; any other must have gone through us.
      if (!registered && String(method).toUpperCase() !== 'HEAD') {
        throw new Error(`serverless-offline registered the route of ${functionKey} unhooked`);
      }
      return result;
    };

    /** @this {{ getServer: () => any }} */
    HttpServer.prototype.writeRoutesTerminal = function writeRoutesWithWorkingInvokeUrls() {
      plugin.log.notice(plugin.routeReport(this.getServer()?.info?.uri, routesByServer.get(this)));
    };
  }

  /**
   * @param {(request: any, h: any) => Promise<unknown>} handler serverless-offline's route handler
   * @param {string} functionKey
   * @param {{ httpApi: boolean, LambdaTimeoutError: new (...args: any[]) => Error }} route
   * @returns {(request: any, h: any) => Promise<unknown>}
   */
  answerLikeApiGateway(handler, functionKey, { httpApi, LambdaTimeoutError }) {
    if (typeof handler !== 'function') throw new Error('serverless-offline: route has no handler');
    return async (request, h) => {
      /** @type {RequestScope} */
      const scope = { failed: false };
      const response = await requestScope.run(scope, () => handler(request, h));
      if (!scope.failed) return response;
      const timedOut = scope.failure instanceof LambdaTimeoutError;
      const { status, message } = gatewayError(httpApi, timedOut);
      // A timeout's stack is serverless-offline's own timer: only the handler's error is worth one.
      const failure = /** @type {{ stack?: string }} */ (scope.failure);
      const cause = timedOut ? String(failure) : (failure?.stack ?? String(failure));
      this.log.error(
        `(λ: ${functionKey}) ${timedOut ? 'timed out' : 'failed'}: answered ${status} as API ` +
          `Gateway would. ${cause}`,
      );
      return h.response(JSON.stringify({ message })).code(status).type('application/json');
    };
  }

  /**
   * @param {string | undefined} httpEndpoint
   * @param {RecordedRoute[] | undefined} routes
   * @returns {string}
   */
  routeReport(httpEndpoint, routes = []) {
    const service = this.serverless.service;
    const { host, httpPort, lambdaPort } = offlineSettings(service, this.options);
    return formatRouteReport({
      httpEndpoint: httpEndpoint ?? `http://${host}:${httpPort}`,
      lambdaEndpoint: `http://${host}:${lambdaPort}`,
      routes,
      functions: service
        .getAllFunctions()
        .map((/** @type {string} */ key) => ({ key, name: service.getFunction(key).name })),
    });
  }
}

module.exports = OfflineHttpErrorsPlugin;
module.exports.gatewayError = gatewayError;
