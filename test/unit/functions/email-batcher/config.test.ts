import {
  EMAIL_BATCHER_SETTINGS,
  loadEmailBatcherConfig,
} from '../../../../functions/email-batcher/config';
import { backoffSeconds, clampDelay } from '../../../../shared/queue/deferral';

const required = {
  SECRETS_PREFIX: 'connector-suite/test',
  STATE_TABLE: 'state',
  EMAIL_JOBS_QUEUE_URL: 'http://sqs/q',
  EMAIL_JOBS_DLQ_URL: 'http://sqs/q-dlq',
  EMAIL_API_URL: 'https://api.postmarkapp.com/',
};

describe('email batcher config', () => {
  it('reads defaults that send 500 per call within a burst of one full call', () => {
    const config = loadEmailBatcherConfig(required);
    expect(config).toMatchObject({
      emailApiUrl: 'https://api.postmarkapp.com',
      messagesPerCall: 500,
      rateBurst: 500,
      ledgerDays: 15,
    });
  });

  it('names the variable that is missing or malformed', () => {
    expect(() => loadEmailBatcherConfig({ ...required, EMAIL_API_URL: '' })).toThrow(
      /EMAIL_API_URL/,
    );
    expect(() => loadEmailBatcherConfig({ ...required, EMAIL_API_URL: 'ftp://x' })).toThrow(
      /EMAIL_API_URL/,
    );
    expect(() => loadEmailBatcherConfig({ ...required, EMAIL_RATE_BURST: '10' })).toThrow(
      /EMAIL_RATE_BURST/,
    );
    expect(() => loadEmailBatcherConfig({ ...required, EMAIL_LEDGER_DAYS: '7' })).toThrow(
      /EMAIL_LEDGER_DAYS/,
    );
    expect(() =>
      loadEmailBatcherConfig({
        ...required,
        EMAIL_CLAIM_SECONDS: '5',
        EMAIL_PROVIDER_TIMEOUT_MS: '10000',
      }),
    ).toThrow(/EMAIL_CLAIM_SECONDS/);
  });

  it('lists every setting it reads', () => {
    const read = new Set<string>();
    const env = new Proxy({ ...required } as Record<string, string | undefined>, {
      get(target, name: string) {
        read.add(name);
        return target[name];
      },
    });
    loadEmailBatcherConfig(env);
    expect([...read].sort()).toEqual([...EMAIL_BATCHER_SETTINGS].sort());
  });
});

describe('backoff', () => {
  const settings = { baseSeconds: 2, maxSeconds: 900 };

  it('draws a full-jitter delay up to base x 2^(attempt-1), capped', () => {
    expect(backoffSeconds(1, settings, () => 0.999)).toBe(2);
    expect(backoffSeconds(4, settings, () => 0.999)).toBe(16);
    expect(backoffSeconds(4, settings, () => 0)).toBe(1);
    expect(backoffSeconds(30, settings, () => 0.999)).toBe(900);
  });

  it('never comes back before Retry-After, and stays within what SQS accepts', () => {
    expect(backoffSeconds(1, settings, () => 0, 30)).toBe(30);
    expect(clampDelay(5000)).toBe(900);
    expect(clampDelay(0)).toBe(1);
  });
});
