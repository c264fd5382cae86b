import path from 'node:path';
import {
  checkLocalConfig,
  deployConfigProblems,
  runPreflight,
} from '../../../../local/stack/preflight';

const root = path.resolve(__dirname, '../../../..');
const fixtures = path.join(root, 'test', 'fixtures');

/** The parts of serverless' resolved service the preflight reads, for the local stage. */
function localService() {
  return {
    provider: {
      environment: { SECRETS_PREFIX: 'connector-suite/local', SECRETS_CACHE_SECONDS: '300' },
    },
    functions: {
      'webhook-ingest': {
        handler: 'functions/webhook-ingest/handler.handler',
        environment: {
          SOURCES_PROFILE: 'local',
          IDEMPOTENCY_TABLE: 'idempotency',
          STATE_TABLE: 'state',
          EMAIL_JOBS_QUEUE_URL: { Ref: 'EmailJobsQueue' },
          EMAIL_JOBS_DLQ_URL: 'http://127.0.0.1:9324/q/dlq',
          WORKFLOW_JOBS_QUEUE_URL: 'http://127.0.0.1:9324/q/workflow',
        } as Record<string, unknown>,
      },
    },
  };
}
const resolve = (value: unknown) =>
  typeof value === 'object' ? 'http://127.0.0.1:9324/q/email' : value;
const shell = {
  SOURCES_FILE: path.join(fixtures, 'sources.json'),
  LOCAL_SECRETS_FILE: path.join(fixtures, 'secrets.json'),
};

describe('local preflight', () => {
  it("takes from the shell only the settings a function's loaders read", async () => {
    const result = await runPreflight({
      service: localService(),
      serviceDir: root,
      resolve,
      allowOverrides: true,
      env: { ...shell, MAX_BODY_BYTES: '100', HOME: '/home/dev', UNRELATED: 'x' },
    });

    expect(result.problems).toEqual([]);
    expect(result.checked).toEqual(['webhook-ingest']);
    expect(result.overrides).toEqual({
      'webhook-ingest': { MAX_BODY_BYTES: '100', SOURCES_FILE: shell.SOURCES_FILE },
    });
  });

  it('checks the overridden value, and says it came from the shell', async () => {
    const result = await runPreflight({
      service: localService(),
      serviceDir: root,
      resolve,
      allowOverrides: true,
      env: { ...shell, DEDUPE_TTL_SECONDS: '3600' },
    });

    expect(result.problems).toEqual([
      expect.stringMatching(
        /^webhook-ingest: Environment variable DEDUPE_TTL_SECONDS .*\(DEDUPE_TTL_SECONDS is set in your shell\)$/,
      ),
    ]);
  });

  it('ignores the shell when overrides are not allowed (a stage other than local)', async () => {
    const service = localService();
    service.functions['webhook-ingest'].environment.SOURCES_FILE = shell.SOURCES_FILE;

    const result = await runPreflight({
      service,
      serviceDir: root,
      resolve,
      allowOverrides: false,
      env: { LOCAL_SECRETS_FILE: shell.LOCAL_SECRETS_FILE, DEDUPE_TTL_SECONDS: '3600' },
    });

    expect(result.problems).toEqual([]);
    expect(result.overrides).toEqual({});
  });

  it("writes the shell's settings into the function's environment once the check passes", async () => {
    const service = localService();
    const serverless = {
      service: { ...service, resources: { Resources: {} } },
      serviceDir: root,
      getProvider: () => ({ naming: { getStackName: () => 'connector-suite-local' } }),
    };
    const lines: string[] = [];
    const saved = { ...process.env };
    Object.assign(process.env, shell, { MAX_BODY_BYTES: '100' });
    try {
      await checkLocalConfig({
        serverless,
        stage: 'local',
        ports: { sqs: 9324 },
        log: { info: (line: string) => lines.push(line) },
      });
    } finally {
      process.env = saved;
    }

    expect(service.functions['webhook-ingest'].environment).toMatchObject({
      MAX_BODY_BYTES: '100',
      SOURCES_FILE: shell.SOURCES_FILE,
    });
    expect(lines.join('\n')).toMatch(/Preflight of webhook-ingest: passed in \d+ ms/);
    // Names only: a value set in the shell is not repeated in the log.
    expect(lines).toContain('webhook-ingest: MAX_BODY_BYTES, SOURCES_FILE taken from your shell.');
  });
});

describe('deploy-time route check (serverless package)', () => {
  const service = (profile: string) => ({
    provider: {},
    functions: {
      'workflow-trigger': {
        handler: 'functions/workflow-trigger/handler.handler',
        environment: { SOURCES_PROFILE: profile, WORKFLOWS_PROFILE: profile },
      },
    },
  });

  it.each(['default', 'local'])('passes the bundled %s profiles', async (profile) => {
    expect(await deployConfigProblems({ service: service(profile), serviceDir: root })).toEqual([]);
  });

  it('refuses a route of the stage profile to a workflow its registry lacks', async () => {
    // The local routes checked against the default registry, which registers none of them.
    const problems = await deployConfigProblems({
      service: {
        provider: {},
        functions: {
          'workflow-trigger': {
            handler: 'functions/workflow-trigger/handler.handler',
            environment: { SOURCES_PROFILE: 'local', WORKFLOWS_PROFILE: 'default' },
          },
        },
      },
      serviceDir: root,
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /config\/sources\.json profile "local" source "stripe" route 0 \("payment_intent\.\*" -> workflow:payments\) names workflow "payments", which config\/workflows\.json profile "default" does not register/,
        ),
      ]),
    );
  });

  it('refuses an email template of the stage profile with a placeholder in an on* handler', async () => {
    const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'deploy-check-'));
    try {
      const sources = JSON.parse(readFileSync(path.join(root, 'config/sources.json'), 'utf8'));
      sources.local.emailTemplates['invoice-paid'].htmlBody = '<a href="#" onclick="{{id}}">x</a>';
      const sourcesFile = path.join(dir, 'sources.json');
      writeFileSync(sourcesFile, JSON.stringify(sources));

      const problems = await deployConfigProblems({
        service: service('local'),
        serviceDir: root,
        sourcesFile,
      });

      expect(problems).toEqual([
        `${sourcesFile} email template "invoice-paid" htmlBody: {{id}} is in the event handler onclick= of <a>`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
