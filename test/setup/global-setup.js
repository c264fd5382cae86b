/**
 * Jest globalSetup: starts one local stack for the whole run (`serverless offline start --stage local`
 * with the project plugin) on free loopback ports, and waits until its state file says it is ready.
 * Skipped with LOCAL_STACK=off (tests then use LOCAL_STACK_STATE_FILE of a stack you run yourself, if
 * any) and when only the unit project runs. `global-teardown.js` stops it by process group.
 *
 * The `local` stage is reused rather than a `test` stage: it has the short visibility timeouts and the
 * seeded secret names the tests need, and other ports and another state file keep it apart from a
 * running `npm run dev`. Its sources and secrets come from test/fixtures/ (SOURCES_FILE,
 * LOCAL_SECRETS_FILE, also set for the tests), not from the local profile developers edit.
 */

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pickFreePort } = require('../../local/stack/ports');

const READY_TIMEOUT_MS = 90_000;
const PROJECTS_NEEDING_STACK = ['integration', 'e2e'];

/**
 * Project names given after `flag` on jest's command line (`--flag a b` or `--flag=a`).
 * @param {string} flag
 * @returns {string[] | undefined}
 */
function projectsFromArgv(flag) {
  const argv = process.argv;
  /** @type {string[] | undefined} */
  let names;
  for (let index = 0; index < argv.length; index += 1) {
    const arg = /** @type {string} */ (argv[index]);
    if (arg.startsWith(`${flag}=`)) {
      names = [...(names ?? []), ...arg.slice(flag.length + 1).split(',')];
    } else if (arg === flag) {
      names = names ?? [];
      while (argv[index + 1] !== undefined && !argv[index + 1]?.startsWith('-')) {
        names.push(/** @type {string} */ (argv[index + 1]));
        index += 1;
      }
    }
  }
  return names;
}

/**
 * Whether any test of this run may need the local servers.
 * @param {import('@jest/types').Config.GlobalConfig} globalConfig
 * @returns {boolean}
 */
function runNeedsLocalStack(globalConfig) {
  const selected = projectsFromArgv('--selectProjects');
  const ignored = projectsFromArgv('--ignoreProjects') ?? [];
  const candidates = PROJECTS_NEEDING_STACK.filter(
    (name) => (selected === undefined || selected.includes(name)) && !ignored.includes(name),
  );
  if (candidates.length === 0) return false;
  // Jest 29 joins the path arguments into one `testPathPattern` (a|b); later versions keep a list.
  /** @type {any} */
  const config = globalConfig;
  /** @type {string[]} */
  const patterns =
    config.testPathPatterns?.patterns ??
    (config.testPathPattern ? String(config.testPathPattern).split('|') : []);
  const onlyUnitPaths =
    patterns.length > 0 && patterns.every((pattern) => /(^|\/)test\/unit(\/|$)/.test(pattern));
  return !onlyUnitPaths;
}

/**
 * The last lines of the stack's log, to show why it did not start.
 * @param {string} logFile
 * @returns {string}
 */
function tail(logFile) {
  if (!fs.existsSync(logFile)) return '(no output)';
  return fs.readFileSync(logFile, 'utf8').split('\n').slice(-60).join('\n');
}

/**
 * @param {import('@jest/types').Config.GlobalConfig} globalConfig
 * @returns {Promise<void>}
 */
module.exports = async function globalSetup(globalConfig) {
  if (process.env.LOCAL_STACK === 'off' || !runNeedsLocalStack(globalConfig)) return;

  const rootDir = globalConfig.rootDir;
  const stateDir = path.join(rootDir, '.local-state');
  const stateFile = path.join(stateDir, `test-stack-${process.pid}.json`);
  const logFile = path.join(stateDir, `test-stack-${process.pid}.log`);
  fs.mkdirSync(stateDir, { recursive: true });
  fs.rmSync(stateFile, { force: true });
  // This run's recording of the functions' AWS calls (test/setup/aws-calls.js).
  const callsFile = path.join(stateDir, `aws-calls-${process.pid}.jsonl`);
  fs.rmSync(callsFile, { force: true });

  const [sqs, dynamodb, secrets, http, lambda, email, workflow] = [
    await pickFreePort(),
    await pickFreePort(),
    await pickFreePort(),
    await pickFreePort(),
    await pickFreePort(),
    await pickFreePort(),
    await pickFreePort(),
  ];
  // The tests' own catalog and seed, so adding a source to the local profile never changes them.
  const fixtures = {
    SOURCES_FILE: path.join(rootDir, 'test', 'fixtures', 'sources.json'),
    LOCAL_SECRETS_FILE: path.join(rootDir, 'test', 'fixtures', 'secrets.json'),
  };
  const output = fs.openSync(logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      path.join(rootDir, 'node_modules', '.bin', 'serverless'),
      'offline',
      'start',
      '--stage',
      'local',
    ],
    {
      cwd: rootDir,
      // Its own process group, so teardown stops serverless and DynamoDB Local's Java with one signal.
      detached: true,
      stdio: ['ignore', output, output],
      env: {
        ...process.env,
        LOCAL_SQS_PORT: String(sqs),
        LOCAL_DYNAMODB_PORT: String(dynamodb),
        LOCAL_SECRETS_PORT: String(secrets),
        LOCAL_EMAIL_PORT: String(email),
        LOCAL_WORKFLOW_PORT: String(workflow),
        HTTP_PORT: String(http),
        LAMBDA_PORT: String(lambda),
        LOCAL_STACK_STATE_FILE: stateFile,
        AWS_CALL_RECORD_FILE: callsFile,
        ...fixtures,
        // If jest dies without its teardown, the stack notices and stops itself.
        LOCAL_STACK_PARENT_PID: String(process.pid),
        SLS_TELEMETRY_DISABLED: '1',
      },
    },
  );
  fs.closeSync(output);
  /** @type {string | undefined} */
  let exitReason;
  child.once('exit', (code, signal) => {
    exitReason = `exited with ${signal ?? `code ${code}`}`;
  });
  child.once('error', (error) => {
    exitReason = `could not start: ${error.message}`;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!fs.existsSync(stateFile)) {
    const reason =
      exitReason ?? (Date.now() > deadline ? `not ready in ${READY_TIMEOUT_MS} ms` : undefined);
    if (reason) {
      if (child.pid !== undefined && exitReason === undefined) process.kill(-child.pid, 'SIGKILL');
      throw new Error(`The local stack ${reason}. Its output:\n${tail(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  /** @type {{ __LOCAL_STACK__?: { pid?: number, stateFile: string, logFile: string, callsFile: string } }} */ (
    globalThis
  ).__LOCAL_STACK__ = { pid: child.pid, stateFile, logFile, callsFile };
  // Test files inherit this environment; test/setup/local-env.js reads the state from it.
  process.env.LOCAL_STACK_STATE_FILE = stateFile;
  // Harnesses that run a function's wiring in the test process record its calls to the same file
  // (test/helpers/stack/recorded-clients.ts); only clients built for a function record anything.
  process.env.AWS_CALL_RECORD_FILE = callsFile;
  Object.assign(process.env, fixtures);
  child.unref();
};
