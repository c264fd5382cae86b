// Benchmark 3: cold start per function. For every functions/<name>/ with a handler, the bundle
// serverless-esbuild builds for deploy (options read from `custom.esbuild`) against a naive bundle of
// the same entry (esbuild defaults: bundle, platform node, nothing else). Each run is a fresh `node`
// process that requires the bundle and answers its first request against the local servers.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { useEmailSandbox, useWorkflowSandbox } = require('../local/stack/local-environment');
const { deployBuildOptions, entryOf: entryIn } = require('../local/offline/build');
const { httpEvent, signedRequests } = require('./lib/requests');
const { summarize } = require('./lib/stats');

const root = path.resolve(__dirname, '..');
const runner = path.join(__dirname, 'cold-start-runner.js');

/**
 * The service as the framework resolves it for a stage (`serverless print`), run in `serviceDir`.
 * @param {string} serviceDir
 * @param {string} stage
 */
function printService(serviceDir, stage) {
  const cli = path.join(serviceDir, 'node_modules', '.bin', 'serverless');
  const result = spawnSync(process.execPath, [cli, 'print', '--stage', stage, '--format', 'json'], {
    cwd: serviceDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      SLS_TELEMETRY_DISABLED: '1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
  });
  if (result.status !== 0) {
    throw new Error(`serverless print failed:\n${result.stderr || result.stdout || result.error}`);
  }
  return JSON.parse(result.stdout.slice(result.stdout.indexOf('{')));
}

/** The handler entry file for `functions/<dir>/handler.<export>`. */
const entryOf = (/** @type {string} */ handler) => entryIn(root, handler);

/**
 * Replaces CloudFormation intrinsics with what the local stack has under that logical id.
 * @param {Record<string, unknown>} environment
 * @param {any} state
 */
function resolveEnvironment(environment, state) {
  /** @type {Record<string, string>} */
  const resolved = {};
  for (const [name, value] of Object.entries(environment ?? {})) {
    if (value === null || typeof value !== 'object') {
      resolved[name] = String(value);
      continue;
    }
    const ref = /** @type {any} */ (value).Ref;
    const getAtt = /** @type {any} */ (value)['Fn::GetAtt'];
    const local = ref
      ? (state.queues[ref]?.url ?? state.tables[ref]?.name)
      : getAtt && getAtt[1] === 'Arn'
        ? (state.queues[getAtt[0]]?.arn ?? state.tables[getAtt[0]]?.arn)
        : undefined;
    if (local === undefined) {
      throw new Error(`${name}: no local value for ${JSON.stringify(value)}`);
    }
    resolved[name] = local;
  }
  return resolved;
}

/**
 * The first request each function gets in the benchmark. A function without one here is measured
 * on import alone.
 * @type {Record<string, () => unknown>}
 */
const FIRST_REQUESTS = {
  'webhook-ingest': () => httpEvent('stripe', signedRequests('stripe').next()),
};

/**
 * One fresh process: spawn to the runner's answer on fd 3, plus the runner's own timings.
 * @param {{ bundle: string, exportName: string, env: Record<string, string>,
 *   eventFile?: string, contextFile: string, nodeArgs?: string[] }} options
 */
function coldRun({ bundle, exportName, env, eventFile, contextFile, nodeArgs = [] }) {
  return new Promise((resolve, reject) => {
    const args = [...nodeArgs, runner, bundle, exportName, eventFile ?? '', contextFile];
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      env,
      cwd: path.dirname(bundle),
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let answer = '';
    /** @type {number | undefined} */
    let answeredMs;
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const fd3 = /** @type {import('node:stream').Readable} */ (child.stdio[3]);
    fd3.on('data', (chunk) => {
      answeredMs ??= performance.now() - started;
      answer += chunk;
    });
    child.once('error', reject);
    child.once('close', () => {
      clearTimeout(timer);
      try {
        const result = JSON.parse(answer);
        if (result.error) throw new Error(result.error);
        resolve({ ...result, spawnToAnswerMs: answeredMs });
      } catch (error) {
        reject(
          new Error(`cold start run failed: ${/** @type {Error} */ (error).message}\n${stderr}`),
        );
      }
    });
  });
}

/**
 * @param {{ state: any, serviceDir: string, workDir: string, runs?: number,
 *   log?: (message: string) => void }} options
 */
async function runColdStart({ state, serviceDir, workDir, runs = 15, log = () => {} }) {
  const esbuild = require('esbuild');
  log('  cold start: resolving the service (serverless print --stage local and prod)');
  const service = printService(serviceDir, 'local');
  // As `npm run dev` does: the local stage leaves the provider URLs empty for the sandboxes.
  useEmailSandbox(service, state.emailSandbox);
  useWorkflowSandbox(service, state.workflowSandbox);
  // Runtime settings as deployed (no source maps, INFO logs); endpoints and names stay local.
  const deployed = printService(serviceDir, 'prod').provider?.environment ?? {};
  const buildOptions = deployBuildOptions(service.custom?.esbuild ?? {});
  const directories = fs
    .readdirSync(path.join(root, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  /** @type {any[]} */
  const results = [];
  for (const directory of directories) {
    const functions = Object.entries(service.functions ?? {}).filter(([, definition]) =>
      String(definition.handler).startsWith(`functions/${directory}/`),
    );
    if (functions.length === 0) {
      results.push({ function: directory, skipped: 'no function in serverless.yml uses it' });
      continue;
    }
    for (const [key, definition] of functions) {
      const handler = String(definition.handler);
      const entry = entryOf(handler);
      const exportName = handler.slice(handler.lastIndexOf('.') + 1);
      const outBase = path.join(workDir, 'cold-start', key);
      const variants = {
        real: { ...buildOptions, entryPoints: [path.join(root, entry)], outdir: `${outBase}/real` },
        naive: {
          entryPoints: [path.join(root, entry)],
          bundle: true,
          platform: 'node',
          outdir: `${outBase}/naive`,
        },
        naiveMinified: {
          entryPoints: [path.join(root, entry)],
          bundle: true,
          platform: 'node',
          minify: true,
          outdir: `${outBase}/naive-minified`,
        },
      };
      log(`  cold start: bundling ${key} (deploy options, esbuild defaults)`);
      /** @type {Record<string, { file: string, bytes: number }>} */
      const bundles = {};
      for (const [name, options] of Object.entries(variants)) {
        await esbuild.build(
          /** @type {import('esbuild').BuildOptions} */ ({ ...options, logLevel: 'error' }),
        );
        const file = path.join(options.outdir, `${path.basename(entry, path.extname(entry))}.js`);
        bundles[name] = { file, bytes: fs.statSync(file).size };
      }

      const env = {
        PATH: process.env.PATH ?? '',
        ...resolveEnvironment(service.provider?.environment, state),
        ...resolveEnvironment(definition.environment, state),
        AWS_REGION: state.region,
        AWS_DEFAULT_REGION: state.region,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_ENDPOINT_URL_SQS: state.sqs,
        AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: state.secretsManager,
        AWS_EXECUTION_ENV: `AWS_Lambda_${service.provider?.runtime ?? 'nodejs'}`,
        AWS_LAMBDA_FUNCTION_NAME: definition.name ?? key,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(
          definition.memorySize ?? service.provider?.memorySize ?? 1024,
        ),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${definition.name ?? key}`,
        AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
        NODE_OPTIONS: String(deployed.NODE_OPTIONS ?? ''),
        POWERTOOLS_LOG_LEVEL: String(deployed.POWERTOOLS_LOG_LEVEL ?? 'INFO'),
        TZ: ':UTC',
      };
      const contextFile = path.join(outBase, 'context.json');
      fs.writeFileSync(
        contextFile,
        JSON.stringify({
          functionName: definition.name ?? key,
          invokedFunctionArn: `arn:aws:lambda:${state.region}:000000000000:function:${definition.name ?? key}`,
          memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
          logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
          timeoutSeconds: definition.timeout ?? service.provider?.timeout ?? 6,
        }),
      );
      const firstRequest = FIRST_REQUESTS[key];
      /** @type {Record<'real' | 'naive', any[]>} */
      const samples = { real: [], naive: [] };
      log(`  cold start: ${runs} fresh processes per bundle, alternating`);
      for (let run = 0; run < runs; run += 1) {
        const order = run % 2 === 0 ? ['real', 'naive'] : ['naive', 'real'];
        for (const name of /** @type {('real' | 'naive')[]} */ (order)) {
          let eventFile;
          if (firstRequest) {
            eventFile = path.join(outBase, `event-${name}.json`);
            fs.writeFileSync(eventFile, JSON.stringify(firstRequest()));
          }
          samples[name].push(
            await coldRun({
              bundle: /** @type {any} */ (bundles[name]).file,
              exportName,
              env,
              eventFile,
              contextFile,
            }),
          );
        }
      }
      const stat = (/** @type {'real' | 'naive'} */ name, /** @type {string} */ field) =>
        summarize(samples[name].map((sample) => sample[field]).filter(Number.isFinite));
      const side = (/** @type {'real' | 'naive'} */ name) => ({
        bundleBytes: /** @type {any} */ (bundles[name]).bytes,
        spawnToAnswerMs: stat(name, 'spawnToAnswerMs'),
        bootMs: stat(name, 'bootMs'),
        importMs: stat(name, 'importMs'),
        firstInvokeMs: stat(name, 'invokeMs'),
        firstInvokeCpuMs: stat(name, 'invokeCpuMs'),
        statuses: samples[name].reduce((counts, sample) => {
          counts[String(sample.status)] = (counts[String(sample.status)] ?? 0) + 1;
          return counts;
        }, {}),
      });
      results.push({
        function: key,
        entry,
        firstRequest: firstRequest ? 'signed stripe webhook (fresh id)' : 'none: import only',
        runs,
        buildOptions: { ...buildOptions, entryPoints: undefined, outdir: undefined },
        naiveMinifiedBytes: /** @type {any} */ (bundles.naiveMinified).bytes,
        nodeOptions: env.NODE_OPTIONS ?? '',
        real: side('real'),
        naive: side('naive'),
      });
    }
  }
  return results;
}

module.exports = { runColdStart, deployBuildOptions, printService, resolveEnvironment, coldRun };
