import { loadHealthConfig } from '../../../../functions/health-probe/config';
import { preflight, settings } from '../../../../functions/health-probe/preflight';
import { loadTimeoutSettings } from '../../../../shared/clients/options';

const env = {
  SECRETS_PREFIX: 'connector-suite/local',
  IDEMPOTENCY_TABLE: 'i',
  STATE_TABLE: 's',
  EMAIL_JOBS_QUEUE_URL: 'http://q/e',
  EMAIL_JOBS_DLQ_URL: 'http://q/ed',
  WORKFLOW_JOBS_QUEUE_URL: 'http://q/w',
  WORKFLOW_JOBS_DLQ_URL: 'http://q/wd',
};

describe('health probe preflight', () => {
  it('declares exactly the variables its loaders read, so the shell can override each of them', () => {
    const read = new Set<string>();
    const recording = new Proxy(env as Record<string, string | undefined>, {
      get: (target, name) => {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });

    loadHealthConfig(recording);
    loadTimeoutSettings(recording);

    expect([...settings].sort()).toEqual([...read, 'SOURCES_FILE'].sort());
  });

  it('names every malformed setting', () => {
    const problems = preflight({
      env: { ...env, HEALTH_BUDGET_MS: 'soon', REQUEST_DEADLINE_MS: '5' },
      secrets: { file: 'seed.json', values: {} },
    });

    expect(problems).toEqual([
      expect.stringMatching(/HEALTH_BUDGET_MS/),
      expect.stringMatching(/REQUEST_DEADLINE_MS/),
    ]);
  });
});
