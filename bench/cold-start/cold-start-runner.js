// Runs in a fresh `node` process, like a Lambda container's first invocation: requires the bundle,
// calls the handler once with the event file (if any), and writes its timings as one JSON line to
// file descriptor 3. `performance.now()` counts from the process's start; `loadedAt` and `answeredAt`
// are wall-clock instants (`performance.timeOrigin + performance.now()`, the same clock as the
// parent's) so that the parent can time spawn -> loaded and spawn -> answer without its own event
// loop's delay in reading the pipe.

const bootMs = performance.now();
const fs = require('node:fs');

const [bundle, exportName = 'handler', eventFile, contextFile] = process.argv.slice(2);
const event = eventFile ? JSON.parse(fs.readFileSync(eventFile, 'utf8')) : undefined;
const contextFields = contextFile ? JSON.parse(fs.readFileSync(contextFile, 'utf8')) : {};

/**
 * Writes the result with this process's CPU time so far (user + system, node's boot included): under
 * a loaded machine it moves far less than the wall time.
 * @param {Record<string, unknown>} result
 */
function report(result) {
  const answeredAt = performance.timeOrigin + performance.now();
  const { user, system } = process.cpuUsage();
  fs.writeSync(
    3,
    `${JSON.stringify({ ...result, answeredAt, processCpuMs: (user + system) / 1000 })}\n`,
  );
  process.exit(0);
}

/** An ES module bundle (.mjs) is loaded the way Lambda loads it: with import(). */
async function load() {
  if (/** @type {string} */ (bundle).endsWith('.mjs')) {
    const { pathToFileURL } = require('node:url');
    return (await import(pathToFileURL(/** @type {string} */ (bundle)).href))[exportName];
  }
  return require(/** @type {string} */ (bundle))[exportName];
}

async function main() {
  const importStarted = performance.now();
  const handler = await load();
  const importMs = performance.now() - importStarted;
  const loadedAt = performance.timeOrigin + performance.now();
  if (typeof handler !== 'function') {
    report({ error: `the bundle exports no function "${exportName}"` });
  } else if (event === undefined) {
    report({
      bootMs,
      importMs,
      loadedAt,
      invokeMs: null,
      readyMs: performance.now(),
      status: null,
    });
  } else {
    const { timeoutSeconds = 10, ...fields } = contextFields;
    const deadline = Date.now() + Number(timeoutSeconds) * 1000;
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionVersion: '$LATEST',
      logStreamName: 'bench',
      awsRequestId: `bench-${process.pid}`,
      ...fields,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const invokeCpu = process.cpuUsage();
    const invokeStarted = performance.now();
    Promise.resolve(handler(event, context)).then(
      (response) =>
        report({
          bootMs,
          importMs,
          loadedAt,
          invokeMs: performance.now() - invokeStarted,
          invokeCpuMs: ((used) => (used.user + used.system) / 1000)(process.cpuUsage(invokeCpu)),
          readyMs: performance.now(),
          status: response?.statusCode ?? null,
        }),
      (error) => report({ error: String(error?.stack ?? error) }),
    );
  }
}

main().catch((error) => report({ error: String(error?.stack ?? error) }));
