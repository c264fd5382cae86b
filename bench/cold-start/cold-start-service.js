// Cold start, what the service says: each function as the framework resolves it (`serverless print`),
// its handler file, and the environment and context a fresh Lambda container would give it.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { entryOf } = require('../../local/offline/build');

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

/**
 * Replaces CloudFormation intrinsics with what `lookup` has under that logical id (the local stack's
 * queues and tables); a value it has nothing for is an error.
 * @param {Record<string, unknown>} environment
 * @param {(intrinsic: { Ref?: string, 'Fn::GetAtt'?: string[] }) => string | undefined} lookup
 */
function resolveEnvironmentWith(environment, lookup) {
  /** @type {Record<string, string>} */
  const resolved = {};
  for (const [name, value] of Object.entries(environment ?? {})) {
    if (value === null || typeof value !== 'object') {
      resolved[name] = String(value);
      continue;
    }
    const local = lookup(/** @type {any} */ (value));
    if (local === undefined) {
      throw new Error(`${name}: no local value for ${JSON.stringify(value)}`);
    }
    resolved[name] = local;
  }
  return resolved;
}

/**
 * Replaces CloudFormation intrinsics with what the local stack has under that logical id.
 * @param {Record<string, unknown>} environment
 * @param {any} state the local stack's state file
 */
function resolveEnvironment(environment, state) {
  return resolveEnvironmentWith(environment, (value) => {
    const ref = value.Ref;
    const [logicalId, attribute] = value['Fn::GetAtt'] ?? [];
    if (ref) return state.queues[ref]?.url ?? state.tables[ref]?.name;
    if (logicalId && attribute === 'Arn') {
      return state.queues[logicalId]?.arn ?? state.tables[logicalId]?.arn;
    }
    return undefined;
  });
}

/**
 * Every `functions/<dir>/` of the repository with the service's functions whose handler is in it,
 * sorted by directory. A directory no function uses has none.
 * @param {string} root the repository
 * @param {any} service
 * @returns {{ directory: string, functions: { key: string, definition: any, entry: string,
 *   exportName: string }[] }[]}
 */
function functionsByDirectory(root, service) {
  return fs
    .readdirSync(path.join(root, 'functions'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((directory) => ({
      directory,
      functions: Object.entries(service.functions ?? {})
        .filter(([, definition]) =>
          String(definition.handler).startsWith(`functions/${directory}/`),
        )
        .map(([key, definition]) => {
          const handler = String(definition.handler);
          return {
            key,
            definition,
            entry: entryOf(root, handler),
            exportName: handler.slice(handler.lastIndexOf('.') + 1),
          };
        }),
    }));
}

/**
 * What a Lambda container gives a function: the service's and the function's environment (already
 * resolved), the `AWS_LAMBDA_*` variables, and the deployed runtime settings (`NODE_OPTIONS`, log
 * level) from `deployed` (the prod stage's provider environment).
 * @param {{ service: any, key: string, definition: any, environment: Record<string, string>,
 *   region: string, endpoints?: Record<string, string>, deployed: Record<string, unknown> }} options
 * @returns {Record<string, string>}
 */
function lambdaEnvironment({ service, key, definition, environment, region, endpoints, deployed }) {
  const name = definition.name ?? key;
  return {
    PATH: process.env.PATH ?? '',
    ...environment,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    ...endpoints,
    AWS_EXECUTION_ENV: `AWS_Lambda_${service.provider?.runtime ?? 'nodejs'}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(
      definition.memorySize ?? service.provider?.memorySize ?? 1024,
    ),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    NODE_OPTIONS: String(deployed.NODE_OPTIONS ?? ''),
    POWERTOOLS_LOG_LEVEL: String(deployed.POWERTOOLS_LOG_LEVEL ?? 'INFO'),
    TZ: ':UTC',
  };
}

/**
 * Writes the fields of the invocation context the runner builds (`cold-start-runner.js`).
 * @param {string} file
 * @param {{ service: any, key: string, definition: any, region: string,
 *   env: Record<string, string> }} options
 */
function writeContextFile(file, { service, key, definition, region, env }) {
  const name = definition.name ?? key;
  fs.writeFileSync(
    file,
    JSON.stringify({
      functionName: name,
      invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
      memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
      timeoutSeconds: definition.timeout ?? service.provider?.timeout ?? 6,
    }),
  );
}

module.exports = {
  printService,
  resolveEnvironment,
  resolveEnvironmentWith,
  functionsByDirectory,
  lambdaEnvironment,
  writeContextFile,
};
