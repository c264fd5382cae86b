const { LOCAL_REGION } = require('./cloudformation-local');
const { LOOPBACK } = require('./ports');

/**
 * The AWS variables that point SDK v3 clients at the local servers with no code change. serverless-offline
 * copies every `AWS_*` variable of its own process into the handlers' environment, and `invoke local`
 * runs the handler in this process, so setting them on `process.env` reaches the handlers either way.
 * @param {{ sqs: number, dynamodb: number, secretsManager: number }} ports
 * @returns {Record<string, string>}
 */
function localAwsEnvironment(ports) {
  return {
    AWS_ENDPOINT_URL_SQS: `http://${LOOPBACK}:${ports.sqs}`,
    AWS_ENDPOINT_URL_DYNAMODB: `http://${LOOPBACK}:${ports.dynamodb}`,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://${LOOPBACK}:${ports.secretsManager}`,
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
  };
}

/**
 * Sets the local AWS variables on `env`, always with dummy credentials: the local servers accept any,
 * the SDK refuses to sign without them, real credentials have no business there, and the bundles
 * leave out the profile/SSO/IMDS credential providers (see `custom.esbuild.exclude`).
 * @param {NodeJS.ProcessEnv} env
 * @param {{ sqs: number, dynamodb: number, secretsManager: number }} ports
 * @returns {void}
 */
function applyLocalAwsEnvironment(env, ports) {
  Object.assign(env, localAwsEnvironment(ports));
  env.AWS_ACCESS_KEY_ID = 'local';
  env.AWS_SECRET_ACCESS_KEY = 'local';
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
}

/**
 * Replaces intrinsic functions in `provider.environment` and every function's `environment` with their
 * local values, e.g. `{ Ref: EmailJobsQueue }` with the emulator's queue URL.
 * @param {{ provider: { environment?: Record<string, unknown> },
 *   functions?: Record<string, { environment?: Record<string, unknown> }> }} service
 * @param {(value: unknown) => unknown} resolve
 * @returns {void}
 */
function rewriteFunctionEnvironments(service, resolve) {
  const rewrite = (/** @type {Record<string, unknown> | undefined} */ environment) => {
    if (!environment) return;
    for (const [name, value] of Object.entries(environment)) {
      if (value !== null && typeof value === 'object') environment[name] = resolve(value);
    }
  };
  rewrite(service.provider.environment);
  for (const definition of Object.values(service.functions ?? {})) rewrite(definition?.environment);
}

/**
 * Points every function whose `EMAIL_API_URL` is empty at the sandbox provider: the local stage leaves
 * it empty unless `EMAIL_API_URL` is set in the environment of `npm run dev`.
 * @param {{ functions?: Record<string, { environment?: Record<string, unknown> }> }} service
 * @param {string} sandboxUrl
 * @returns {void}
 */
function useEmailSandbox(service, sandboxUrl) {
  for (const definition of Object.values(service.functions ?? {})) {
    const environment = definition?.environment;
    if (environment && 'EMAIL_API_URL' in environment && !environment.EMAIL_API_URL) {
      environment.EMAIL_API_URL = sandboxUrl;
    }
  }
}

/**
 * Points every function whose `WORKFLOW_API_URL` is empty at the sandbox engine: the local stage leaves
 * it empty unless `WORKFLOW_API_URL` is set in the environment of `npm run dev`.
 * @param {{ functions?: Record<string, { environment?: Record<string, unknown> }> }} service
 * @param {string} sandboxUrl
 * @returns {void}
 */
function useWorkflowSandbox(service, sandboxUrl) {
  for (const definition of Object.values(service.functions ?? {})) {
    const environment = definition?.environment;
    if (environment && 'WORKFLOW_API_URL' in environment && !environment.WORKFLOW_API_URL) {
      environment.WORKFLOW_API_URL = sandboxUrl;
    }
  }
}

module.exports = {
  useWorkflowSandbox,
  localAwsEnvironment,
  applyLocalAwsEnvironment,
  rewriteFunctionEnvironments,
  useEmailSandbox,
};
