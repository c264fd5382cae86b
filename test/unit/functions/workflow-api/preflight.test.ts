import { loadWorkflowApiConfig } from '../../../../functions/workflow-api/config';
import { preflight, settings } from '../../../../functions/workflow-api/preflight';

const env = {
  SECRETS_PREFIX: 'connector-suite/local',
  STATE_TABLE: 's',
  WORKFLOWS_PROFILE: 'local',
  WORKFLOW_JOBS_QUEUE_URL: 'http://q/w',
  WORKFLOW_API_URL: 'http://127.0.0.1:4591',
};
const seed = {
  file: 'seed.json',
  values: { 'connector-suite/local/api-keys/workflows': '{"current": "k"}' },
};

describe('workflow API preflight', () => {
  it('declares every variable its loader reads, so the shell can override each of them', () => {
    const read = new Set<string>();
    const recording = new Proxy(env as Record<string, string | undefined>, {
      get: (target, name) => {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });
    loadWorkflowApiConfig(recording);
    expect([...settings].sort()).toEqual([...read, 'WORKFLOWS_FILE'].sort());
  });

  it('passes a complete local environment and names a malformed setting', () => {
    expect(preflight({ env, secrets: seed })).toEqual([]);
    const problems = preflight({
      env: { ...env, WORKFLOW_DIRECT_TIMEOUT_MS: '9000' },
      secrets: seed,
    });
    expect(problems).toEqual([expect.stringMatching(/WORKFLOW_DIRECT_TIMEOUT_MS/)]);
  });

  it('names the API key secret when the seed lacks a current key', () => {
    const problems = preflight({ env, secrets: { file: 'seed.json', values: {} } });
    expect(problems).toEqual([expect.stringMatching(/api-keys\/workflows.*current/)]);
  });
});
