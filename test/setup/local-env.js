/**
 * Jest setupFiles for the integration and e2e projects: points the AWS SDK at the local stack that
 * `global-setup.js` started (or the one named by LOCAL_STACK_STATE_FILE), so clients built with no
 * endpoint reach the local servers, exactly as the handlers do. Tests read queue URLs, table names and
 * the HTTP base URL through `test/helpers/stack/local-stack.ts`.
 */

const fs = require('node:fs');

const stateFile = process.env.LOCAL_STACK_STATE_FILE;

if (stateFile && fs.existsSync(stateFile)) {
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SQS: state.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: state.secretsManager,
    AWS_REGION: state.region,
    AWS_DEFAULT_REGION: state.region,
    // The local servers accept any credentials; never let tests pick up real ones.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    LOCAL_HTTP_URL: state.http,
    LOCAL_LAMBDA_URL: state.lambda,
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}
