const fs = require('node:fs');
const path = require('node:path');
const { LocalStackError } = require('./local-stack-error');
const { readSecretSeed, secretSeedFile } = require('../secrets/secret-store');

/**
 * @typedef {Record<string, string | undefined>} Env
 * @typedef {object} FunctionCheck What `functions/<name>/preflight.ts` exports.
 * @property {readonly string[]} settings the variables its loaders read
 * @property {(input: { env: Env, secrets: { file: string, values: Record<string, string> } })
 *   => string[]} preflight
 * @typedef {object} ServiceView The parts of serverless' service the preflight reads and changes.
 * @property {{ environment?: Record<string, unknown> }} provider
 * @property {Record<string, { handler?: string, environment?: Record<string, unknown> }>} [functions]
 */

/**
 * Compiles TypeScript modules into one CommonJS file under `.local-state/` with esbuild and loads it,
 * so the local stack runs exactly the loaders the handlers bundle. The file is removed once loaded.
 * @param {string} serviceDir
 * @param {Record<string, string>} modules export name -> path of a .ts module
 * @returns {Promise<Record<string, any>>}
 */
async function compileModules(serviceDir, modules) {
  const esbuild = require('esbuild');
  const outDir = path.join(serviceDir, '.local-state');
  fs.mkdirSync(outDir, { recursive: true });
  const outfile = path.join(outDir, `preflight-${process.pid}-${Date.now()}.cjs`);
  const contents = Object.entries(modules)
    .map(([name, file]) => `exports[${JSON.stringify(name)}] = require(${JSON.stringify(file)});`)
    .join('\n');
  await esbuild.build({
    stdin: { contents, resolveDir: serviceDir, loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile,
    logLevel: 'silent',
  });
  try {
    return require(outfile);
  } finally {
    delete require.cache[outfile];
    fs.rmSync(outfile, { force: true });
  }
}

/**
 * The `preflight.ts` beside each function's handler, by function name; functions without one are
 * left out (they have nothing to check yet).
 * @param {ServiceView} service
 * @param {string} serviceDir
 * @returns {Record<string, string>}
 */
function preflightModules(service, serviceDir) {
  /** @type {Record<string, string>} */
  const modules = {};
  for (const [name, definition] of Object.entries(service.functions ?? {})) {
    const handler = definition?.handler;
    if (!handler) continue;
    const modulePath = handler.slice(0, handler.lastIndexOf('.'));
    const file = path.join(serviceDir, path.dirname(modulePath), 'preflight.ts');
    if (fs.existsSync(file)) modules[name] = file;
  }
  return modules;
}

/**
 * A function's environment as serverless-offline will build it: the provider's, then the function's,
 * with intrinsic functions resolved to their local values.
 * @param {ServiceView} service
 * @param {string} name
 * @param {(value: unknown) => unknown} resolve
 * @returns {Env}
 */
function functionEnvironment(service, name, resolve) {
  const merged = {
    ...(service.provider.environment ?? {}),
    ...(service.functions?.[name]?.environment ?? {}),
  };
  return Object.fromEntries(
    Object.entries(merged).map(([key, value]) => {
      const local = resolve(value);
      if (local === undefined || local === null) return [key, undefined];
      return [key, typeof local === 'object' ? JSON.stringify(local) : String(local)];
    }),
  );
}

/**
 * The settings of one function that the developer's shell sets: only names its loaders read, never
 * the whole environment.
 * @param {readonly string[]} settings
 * @param {NodeJS.ProcessEnv} env
 * @returns {Record<string, string>}
 */
function localOverrides(settings, env) {
  /** @type {Record<string, string>} */
  const overrides = {};
  for (const name of settings) {
    const value = env[name];
    if (value !== undefined) overrides[name] = value;
  }
  return overrides;
}

/**
 * A path as messages show it: relative to the service when inside it.
 * @param {string} serviceDir
 * @param {string} file
 */
function shown(serviceDir, file) {
  const relative = path.relative(serviceDir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/**
 * Runs every function's preflight against its local environment (with the shell's overrides when
 * `allowOverrides`) and the secrets seed. Changes nothing.
 * @param {{ service: ServiceView, serviceDir: string, resolve: (value: unknown) => unknown,
 *   allowOverrides: boolean, env?: NodeJS.ProcessEnv }} options
 * @returns {Promise<{ problems: string[], overrides: Record<string, Record<string, string>>,
 *   checked: string[], elapsedMs: number }>}
 */
async function runPreflight({ service, serviceDir, resolve, allowOverrides, env = process.env }) {
  const started = performance.now();
  const secretsFile = secretSeedFile(serviceDir, env);
  const secrets = {
    file: shown(serviceDir, secretsFile),
    values: fs.existsSync(secretsFile) ? readSecretSeed(secretsFile) : {},
  };
  const modules = preflightModules(service, serviceDir);
  const checks = /** @type {Record<string, FunctionCheck>} */ (
    Object.keys(modules).length > 0 ? await compileModules(serviceDir, modules) : {}
  );
  /** @type {string[]} */
  const problems = [];
  /** @type {Record<string, Record<string, string>>} */
  const overrides = {};
  for (const [name, check] of Object.entries(checks)) {
    const own = allowOverrides ? localOverrides(check.settings, env) : {};
    if (Object.keys(own).length > 0) overrides[name] = own;
    const functionEnv = { ...functionEnvironment(service, name, resolve), ...own };
    for (const problem of check.preflight({ env: functionEnv, secrets })) {
      const where = Object.keys(own).find((setting) => problem.includes(setting));
      problems.push(`${name}: ${problem}${where ? ` (${where} is set in your shell)` : ''}`);
    }
  }
  return {
    problems,
    overrides,
    checked: Object.keys(checks),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/**
 * The start-up check of `npm run dev`: fails with every problem listed, before any server starts,
 * or applies the shell's overrides to the functions' environments (local stage only).
 * @param {{ serverless: any, stage: string, ports: { sqs: number },
 *   log: { info: (m: string) => void } }} options
 * @returns {Promise<void>}
 */
async function checkLocalConfig({ serverless, stage, ports, log }) {
  /** @type {ServiceView} */
  const service = serverless.service;
  // Required here, not at the top: `npm run source` loads this file and needs no AWS clients.
  const { topologyFor } = require('./local-stack');
  const { resolve } = topologyFor(serverless.service.resources?.Resources, {
    sqsPort: ports.sqs,
    stackName: serverless.getProvider('aws').naming.getStackName(),
  });
  const serviceDir = serverless.serviceDir ?? process.cwd();
  const allowOverrides = stage === 'local';
  const result = await runPreflight({ service, serviceDir, resolve, allowOverrides });
  if (result.problems.length > 0) {
    const count = result.problems.length === 1 ? '1 problem' : `${result.problems.length} problems`;
    throw new LocalStackError(
      [
        `The local stack did not start: ${count} in its configuration.`,
        ...result.problems.map((problem) => `  - ${problem}`),
        'Fix them and start it again.',
      ].join('\n'),
    );
  }
  for (const [name, values] of Object.entries(result.overrides)) {
    const definition = service.functions?.[name];
    if (!definition) continue;
    definition.environment = { ...(definition.environment ?? {}), ...values };
    log.info(`${name}: ${Object.keys(values).join(', ')} taken from your shell.`);
  }
  const checked = result.checked.join(', ') || 'no function';
  log.info(`Preflight of ${checked}: passed in ${result.elapsedMs} ms.`);
}

/**
 * The deploy-time check of `serverless package` and `deploy`: every `workflow:<name>` route of the
 * stage's sources profile names a workflow of its registry profile (the profiles the workflow trigger
 * gets), and no email template of the profile puts a placeholder where escaping cannot protect it
 * (inside <script>, an on* handler, an unquoted attribute…), in the files bundled with the functions.
 * Returns the problems, one per route or placeholder.
 * @param {{ service: ServiceView, serviceDir: string, sourcesFile?: string,
 *   workflowsFile?: string }} options the files are relative to the service (tests name others)
 * @returns {Promise<string[]>}
 */
async function deployConfigProblems({
  service,
  serviceDir,
  sourcesFile = 'config/sources.json',
  workflowsFile = 'config/workflows.json',
}) {
  const env = service.functions?.['workflow-trigger']?.environment ?? {};
  const sourcesProfile = String(env.SOURCES_PROFILE ?? 'default');
  const workflowsProfile = String(env.WORKFLOWS_PROFILE ?? 'default');
  const { registry, ingest } = await compileModules(serviceDir, {
    registry: path.join(serviceDir, 'shared/workflow/registry.ts'),
    ingest: path.join(serviceDir, 'functions/webhook-ingest/preflight.ts'),
  });
  const read = (/** @type {string} */ file) =>
    JSON.parse(fs.readFileSync(path.resolve(serviceDir, file), 'utf8'));
  try {
    const sources = read(sourcesFile);
    const workflows = registry.loadWorkflowRegistry(read(workflowsFile), workflowsProfile);
    return [
      ...registry.unregisteredWorkflowRoutes(sources, workflows, {
        sourcesFile,
        sourcesProfile,
        workflowsFile,
        workflowsProfile,
      }),
      ...ingest.templateHtmlProblems(sources, sourcesProfile, sourcesFile),
    ];
  } catch (error) {
    return [/** @type {Error} */ (error).message];
  }
}

/**
 * Fails `serverless package` (and so `deploy`) with every route that could never work.
 * @param {{ serverless: any, log: { info: (m: string) => void } }} options
 * @returns {Promise<void>}
 */
async function checkDeployConfig({ serverless, log }) {
  const serviceDir = serverless.serviceDir ?? process.cwd();
  const problems = await deployConfigProblems({ service: serverless.service, serviceDir });
  if (problems.length > 0) {
    throw new LocalStackError(
      [
        `Not packaged: ${problems.length} problem(s) in config/sources.json.`,
        ...problems.map((problem) => `  - ${problem}`),
      ].join('\n'),
    );
  }
  log.info('Deploy check: every workflow route is registered, every template placeholder safe.');
}

module.exports = {
  checkDeployConfig,
  checkLocalConfig,
  deployConfigProblems,
  compileModules,
  functionEnvironment,
  localOverrides,
  runPreflight,
};
