/**
 * Defers the framework's schema validation of serverless.yml during `offline start`.
 *
 * osls validates the whole configuration against its JSON schema (ajv) before any command runs: about
 * 2 s of CPU on every `npm run dev`, a fifth of the start (measured with --cpu-prof). In its default
 * `warn` mode that validation only ever prints warnings, so the local stack runs it once it is ready
 * instead, on a copy of the configuration as it was read, and the warnings still appear. With
 * `configValidationMode: error` it keeps running first, as it must stop the start. `npm run package`
 * validates as always.
 *
 * It replaces `serverless.configSchemaHandler.validateConfig`, which the framework calls after loading
 * the plugins; if a framework upgrade removes that method, the start fails here, loudly, rather than
 * silently validating nothing.
 * @param {any} serverless
 * @returns {(() => Promise<void>) | undefined} runs the deferred validation once; undefined when not
 *   deferred
 */
function deferConfigValidation(serverless) {
  const handler = serverless.configSchemaHandler;
  if (!handler || typeof handler.validateConfig !== 'function') {
    throw new Error(
      'local/config-validation.js: serverless.configSchemaHandler.validateConfig is gone (a framework ' +
        'upgrade?): update it before starting the local stack.',
    );
  }
  const mode = serverless.configurationInput?.configValidationMode ?? 'warn';
  if (mode === 'error') return undefined;
  const validateNow = handler.validateConfig.bind(handler);
  /** @type {unknown} */
  let pending;
  handler.validateConfig = async (/** @type {unknown} */ userConfig) => {
    // A copy: the plugins rewrite parts of the live configuration (function environments) meanwhile.
    pending = structuredClone(userConfig);
  };
  return async () => {
    const config = pending;
    pending = undefined;
    if (config !== undefined) await validateNow(config);
  };
}

module.exports = { deferConfigValidation };
