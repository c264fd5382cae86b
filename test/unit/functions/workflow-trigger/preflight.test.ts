import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { preflight } from '../../../../functions/workflow-trigger/preflight';
import sources from '../../../fixtures/sources.json';

const dir = mkdtempSync(path.join(tmpdir(), 'trigger-preflight-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = {
  SECRETS_PREFIX: 'connector-suite/local',
  STATE_TABLE: 's',
  WORKFLOWS_PROFILE: 'local',
  SOURCES_PROFILE: 'local',
  WORKFLOW_JOBS_QUEUE_URL: 'http://q/w',
  WORKFLOW_JOBS_DLQ_URL: 'http://q/w-dlq',
  WORKFLOW_API_URL: 'http://127.0.0.1:4591',
};
const seed = {
  file: 'seed.json',
  values: { 'connector-suite/local/providers/workflow': '{"token": "t"}' },
};

/** The test catalog with one more source, as `npm run source -- add` would write it. */
function catalogWithSource(name: string, routes: { match: string; to: string }[]): string {
  const catalog = structuredClone(sources) as { local: { sources: Record<string, unknown> } };
  catalog.local.sources[name] = { scheme: 'standard', routes };
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(catalog));
  return file;
}

describe('workflow trigger preflight', () => {
  it('passes the test catalog, whose every workflow route is registered', () => {
    const file = catalogWithSource('fine', [{ match: '*', to: 'workflow:standard-events' }]);
    expect(preflight({ env: { ...env, SOURCES_FILE: file }, secrets: seed })).toEqual([]);
  });

  it('refuses a route to a workflow the registry lacks, naming the source, the route and the workflow', () => {
    const file = catalogWithSource('acme2', [
      { match: 'user.created', to: 'email:invoice-paid' },
      { match: '*', to: 'workflow:acme2' },
    ]);

    const problems = preflight({ env: { ...env, SOURCES_FILE: file }, secrets: seed });

    expect(problems).toEqual([
      expect.stringContaining(
        `${file} profile "local" source "acme2" route 1 ("*" -> workflow:acme2) names workflow "acme2", which config/workflows.json profile "local" does not register`,
      ),
    ]);
    expect(problems[0]).toMatch(/dead-lettered as unknown-workflow/);
    expect(problems[0]).toMatch(/standard-events/);
  });

  it('checks the sources profile of the stage against the registry profile of the stage', () => {
    // The default profile registers no "payments": the local routes would not work there.
    const problems = preflight({
      env: { ...env, WORKFLOWS_PROFILE: 'default', SOURCES_FILE: catalogWithSource('x', []) },
      secrets: seed,
    });
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/source "stripe" route 0 .*"payments"/)]),
    );
  });
});
