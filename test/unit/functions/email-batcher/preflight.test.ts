import { loadEmailBatcherConfig } from '../../../../functions/email-batcher/config';
import { preflight, settings } from '../../../../functions/email-batcher/preflight';

const env = {
  SECRETS_PREFIX: 'connector-suite/local',
  STATE_TABLE: 's',
  EMAIL_JOBS_QUEUE_URL: 'http://q/e',
  EMAIL_JOBS_DLQ_URL: 'http://q/ed',
  EMAIL_API_URL: 'http://127.0.0.1:4590',
};
const seed = {
  file: 'seed.json',
  values: { 'connector-suite/local/providers/email': '{"token": "t"}' },
};

describe('email batcher preflight', () => {
  it('declares exactly the variables its loader reads, so the shell can override each of them', () => {
    const read = new Set<string>();
    const recording = new Proxy(env as Record<string, string | undefined>, {
      get: (target, name) => {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    });
    loadEmailBatcherConfig(recording);
    expect([...settings].sort()).toEqual([...read].sort());
  });

  it('passes a complete local environment and names every malformed setting', () => {
    expect(preflight({ env, secrets: seed })).toEqual([]);
    const problems = preflight({
      env: { ...env, EMAIL_API_URL: 'ftp://x', EMAIL_MAX_ATTEMPTS: 'many' },
      secrets: seed,
    });
    expect(problems).toEqual([
      expect.stringMatching(/EMAIL_API_URL/),
      expect.stringMatching(/EMAIL_MAX_ATTEMPTS/),
    ]);
  });

  it('names the provider secret when the seed lacks its token', () => {
    const problems = preflight({ env, secrets: { file: 'seed.json', values: {} } });
    expect(problems).toEqual([expect.stringMatching(/providers\/email.*token/)]);
  });
});
