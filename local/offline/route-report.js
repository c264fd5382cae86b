const { invokeUrl } = require('./settings');

/**
 * @typedef {object} HttpRoute one route of serverless-offline's HTTP API, as registered with hapi
 * @property {string} method `*` for ANY
 * @property {string} path hapi's path, e.g. `/webhooks/{source}`
 * @property {string} functionKey the function's key in serverless.yml
 */

/**
 * The routes block printed when serverless-offline starts, in place of its own: that one lists the
 * invoke URL on the HTTP port and by function key (`:3000/2015-03-31/functions/webhook-ingest/...`),
 * where nothing answers but a 404. The Lambda API listens on its own port and knows functions by
 * their deployed name.
 * @param {{ httpEndpoint: string, lambdaEndpoint: string, routes: HttpRoute[],
 *   functions: { key: string, name: string }[] }} input
 * @returns {string}
 */
function formatRouteReport({ httpEndpoint, lambdaEndpoint, routes, functions }) {
  const width = Math.max(4, ...routes.map((route) => route.method.length));
  const lines = [`HTTP API routes (${httpEndpoint}):`];
  for (const route of routes) {
    const method = route.method === '*' ? 'ANY' : route.method.toUpperCase();
    lines.push(`  ${method.padEnd(width)} ${httpEndpoint}${route.path}  (λ: ${route.functionKey})`);
  }
  if (routes.length === 0) lines.push('  (none)');
  lines.push(
    `Lambda invoke API (${lambdaEndpoint}): POST the event to a URL below, or use ` +
      '@aws-sdk/client-lambda with this endpoint and the function name:',
  );
  for (const fn of functions) {
    lines.push(`  ${'POST'.padEnd(width)} ${invokeUrl(lambdaEndpoint, fn.name)}  (λ: ${fn.key})`);
  }
  return lines.join('\n');
}

module.exports = { formatRouteReport };
