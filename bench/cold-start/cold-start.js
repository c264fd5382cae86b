// Benchmark 3: cold start per function. For every functions/<name>/ with a handler, the bundle
// serverless-esbuild builds for deploy against a naive bundle of the same entry, each run in fresh
// `node` processes that load it and answer a first request against the local servers. This file puts
// the parts together: what the service says (cold-start-service.js), the bundles
// (cold-start-bundles.js), the measurement (cold-run.js); ../lib/report.js prints the figures.

const fs = require('node:fs');
const path = require('node:path');
const { useEmailSandbox, useWorkflowSandbox } = require('../../local/stack/local-environment');
const { buildBundles, bundleVariants } = require('./cold-start-bundles');
const {
  functionsByDirectory,
  lambdaEnvironment,
  printService,
  resolveEnvironment,
  writeContextFile,
} = require('./cold-start-service');
const { sampleAlternating, summarizeSide } = require('./cold-run');
const { httpEvent, signedRequests } = require('../lib/requests');

const root = path.resolve(__dirname, '..', '..');

/**
 * The first request each function gets in the benchmark. A function without one here is measured
 * on import alone.
 * @type {Record<string, () => unknown>}
 */
const FIRST_REQUESTS = {
  'webhook-ingest': () => httpEvent('stripe', signedRequests('stripe').next()),
};

/**
 * @param {{ state: any, serviceDir: string, workDir: string, runs?: number,
 *   log?: (message: string) => void }} options
 */
async function runColdStart({ state, serviceDir, workDir, runs = 15, log = () => {} }) {
  log('  cold start: resolving the service (serverless print --stage local and prod)');
  const service = printService(serviceDir, 'local');
  // As `npm run dev` does: the local stage leaves the provider URLs empty for the sandboxes.
  useEmailSandbox(service, state.emailSandbox);
  useWorkflowSandbox(service, state.workflowSandbox);
  // Runtime settings as deployed (no source maps, INFO logs); endpoints and names stay local.
  const deployed = printService(serviceDir, 'prod').provider?.environment ?? {};
  const custom = service.custom?.esbuild ?? {};
  /** @type {any[]} */
  const results = [];
  for (const { directory, functions } of functionsByDirectory(root, service)) {
    if (functions.length === 0) {
      results.push({ function: directory, skipped: 'no function in serverless.yml uses it' });
      continue;
    }
    for (const { key, definition, entry, exportName } of functions) {
      const outBase = path.join(workDir, 'cold-start', key);
      const variants = bundleVariants({ entry: path.join(root, entry), outBase, custom });
      log(`  cold start: bundling ${key} (deploy options, esbuild defaults)`);
      const bundles = await buildBundles(variants);
      const env = lambdaEnvironment({
        service,
        key,
        definition,
        environment: {
          ...resolveEnvironment(service.provider?.environment, state),
          ...resolveEnvironment(definition.environment, state),
        },
        region: state.region,
        endpoints: {
          AWS_ENDPOINT_URL_SQS: state.sqs,
          AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: state.secretsManager,
        },
        deployed,
      });
      const contextFile = path.join(outBase, 'context.json');
      writeContextFile(contextFile, { service, key, definition, region: state.region, env });
      const firstRequest = FIRST_REQUESTS[key];
      log(`  cold start: ${runs} fresh processes per bundle, alternating`);
      const samples = await sampleAlternating({
        bundles,
        names: /** @type {('real' | 'naive')[]} */ (['real', 'naive']),
        runs,
        exportName,
        env,
        contextFile,
        eventFor: (name) => {
          if (!firstRequest) return undefined;
          const eventFile = path.join(outBase, `event-${name}.json`);
          fs.writeFileSync(eventFile, JSON.stringify(firstRequest()));
          return eventFile;
        },
      });
      results.push({
        function: key,
        entry,
        firstRequest: firstRequest ? 'signed stripe webhook (fresh id)' : 'none: import only',
        runs,
        buildOptions: { ...variants.real, entryPoints: undefined, outdir: undefined },
        naiveMinifiedBytes: bundles.naiveMinified?.bytes,
        nodeOptions: env.NODE_OPTIONS ?? '',
        real: summarizeSide(samples.real, /** @type {any} */ (bundles.real).bytes),
        naive: summarizeSide(samples.naive, /** @type {any} */ (bundles.naive).bytes),
      });
    }
  }
  return results;
}

module.exports = { runColdStart };
