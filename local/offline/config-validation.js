/**
 * Skips the framework's schema validation of serverless.yml for `offline start`.
 *
 * osls validates the whole configuration against its JSON schema (ajv) before any command runs: about
 * 2 s of CPU on every `npm run dev`, a fifth of the start (measured with --cpu-prof). Run after the
 * stack is ready instead, it blocked the event loop that also serves the SQS emulator, the Secrets
 * Manager endpoint and the sandboxes, and stalled the first requests by seconds. The same
 * serverless.yml is validated, with `configValidationMode: error`, by `npm run package`, by every
 * deploy, and by `npm test` (the deploy-template test packages the prod stage), so a schema mistake
 * still fails before it can ship; the local start only skips repeating it.
 *
 * It replaces `serverless.configSchemaHandler.validateConfig`, which the framework calls after loading
 * the plugins; if a framework upgrade removes that method, the start fails here, loudly, rather than
 * silently going on.
 * @param {any} serverless
 * @param {(message: string) => void} debug
 * @returns {void}
 */
function skipConfigValidation(serverless, debug) {
  const handler = serverless.configSchemaHandler;
  if (!handler || typeof handler.validateConfig !== 'function') {
    throw new Error(
      'local/offline/config-validation.js: serverless.configSchemaHandler.validateConfig is gone (a framework ' +
        'upgrade?): update it before starting the local stack.',
    );
  }
  handler.validateConfig = async () => {
    debug('serverless.yml schema validation skipped for offline start (npm run package runs it)');
  };
}

module.exports = { skipConfigValidation };
