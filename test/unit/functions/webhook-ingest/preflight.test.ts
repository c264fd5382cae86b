import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadIngestConfig } from '../../../../functions/webhook-ingest/config';
import { preflight, settings } from '../../../../functions/webhook-ingest/preflight';
import { loadTimeoutSettings } from '../../../../shared/clients/options';
import secrets from '../../../fixtures/secrets.json';
import catalog from '../../../fixtures/sources.json';

const fixtures = path.resolve(__dirname, '../../../fixtures');
/** The environment serverless gives the function on the local stage, with the test catalog. */
const localEnv = {
  SOURCES_PROFILE: 'local',
  SECRETS_PREFIX: 'connector-suite/local',
  IDEMPOTENCY_TABLE: 'idempotency',
  STATE_TABLE: 'state',
  EMAIL_JOBS_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/email-jobs',
  EMAIL_JOBS_DLQ_URL: 'http://127.0.0.1:9324/000000000000/email-jobs-dlq',
  WORKFLOW_JOBS_QUEUE_URL: 'http://127.0.0.1:9324/000000000000/workflow-jobs',
  SOURCES_FILE: path.join(fixtures, 'sources.json'),
};
const seed = (values: Record<string, unknown>) => ({
  file: 'seed.json',
  values: Object.fromEntries(
    Object.entries(values).map(([name, value]) => [name, JSON.stringify(value)]),
  ),
});

describe('webhook ingest preflight', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ingest-preflight-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('declares exactly the variables its loaders read, so the shell can override each of them', () => {
    const read = new Set<string>();
    const recording = new Proxy(localEnv as Record<string, string | undefined>, {
      get: (target, name) => {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });

    loadIngestConfig(recording);
    loadTimeoutSettings(recording);

    expect([...settings].sort()).toEqual([...read, 'SOURCES_FILE'].sort());
  });

  it('finds nothing wrong with the test catalog and its seed', () => {
    expect(preflight({ env: localEnv, secrets: seed(secrets) })).toEqual([]);
  });

  it('refuses a template that puts a placeholder in <script> or an on* handler, naming it', () => {
    const sources = structuredClone(catalog) as {
      local: { emailTemplates: Record<string, Record<string, string>> };
    };
    const [name, template] = Object.entries(sources.local.emailTemplates)[0] as [
      string,
      Record<string, string>,
    ];
    template.htmlBody =
      '<p>{{id}}</p><script>var n = "{{id}}";</script><img src="https://x.test/a.png" onerror="{{id}}">';
    const file = path.join(dir, 'script-template.json');
    writeFileSync(file, JSON.stringify(sources));

    const problems = preflight({
      env: { ...localEnv, SOURCES_FILE: file },
      secrets: seed(secrets),
    });

    expect(problems).toEqual([
      `${file} email template "${name}" htmlBody: {{id}} is inside <script>: a value there would be code`,
      `${file} email template "${name}" htmlBody: {{id}} is in the event handler onerror= of <img>`,
    ]);
  });

  it('lists every mistake of settings, catalog and seed at once, each named', () => {
    const sources = structuredClone(catalog);
    sources.local.sources.github.routes.push({ match: 'x', to: 'email:nope' });
    (sources.local.sources as Record<string, unknown>).fax = { scheme: 'fax' };
    const file = path.join(dir, 'sources.json');
    writeFileSync(file, JSON.stringify(sources));
    const { 'connector-suite/local/webhooks/slack': _missing, ...rest } = secrets;

    const problems = preflight({
      env: { ...localEnv, SOURCES_FILE: file, DEDUPE_TTL_SECONDS: '3600' },
      secrets: seed({ ...rest, 'connector-suite/local/webhooks/standard': { current: 'x!' } }),
    });

    expect(problems).toEqual([
      expect.stringMatching(/^Environment variable DEDUPE_TTL_SECONDS must be .*"3600"/),
      expect.stringMatching(/sources\.json source "github" route 2: "to" .*"email:nope"/),
      expect.stringMatching(/sources\.json source "fax": "scheme" must be one of/),
      'seed.json secret "connector-suite/local/webhooks/slack" (source "slack") is missing',
      expect.stringMatching(/^seed\.json secret ".*\/standard" \(source "standard"\): "current"/),
    ]);
    expect(problems[1]?.startsWith(file)).toBe(true);
  });

  it('reports a broken email template once, not again on each route to it', () => {
    const file = path.join(dir, 'template.json');
    const sources = structuredClone(catalog);
    (sources.local.emailTemplates['invoice-paid'] as Record<string, unknown>).subject = '';
    writeFileSync(file, JSON.stringify(sources));

    const problems = preflight({
      env: { ...localEnv, SOURCES_FILE: file },
      secrets: seed(secrets),
    });

    expect(problems).toEqual([expect.stringMatching(/email template "invoice-paid": "subject"/)]);
  });

  it('names the missing profile when SOURCES_PROFILE has no entry', () => {
    const problems = preflight({
      env: { ...localEnv, SOURCES_PROFILE: 'staging' },
      secrets: seed(secrets),
    });

    expect(problems).toEqual([expect.stringMatching(/profile "staging": is missing/)]);
  });
});
