import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  EMAIL_BATCHER_SETTINGS,
  EMAIL_BATCHER_TIMEOUT_SECONDS,
  loadEmailBatcherConfig,
} from '../../../../functions/email-batcher/config';
import {
  loadWorkflowTriggerConfig,
  WORKFLOW_TRIGGER_TIMEOUT_SECONDS,
} from '../../../../functions/workflow-trigger/config';
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

describe('a claim that outlasts its holder', () => {
  it('refuses a claim no longer than the function timeout plus the two calls of a refused token and the provider search', () => {
    // 30 s timeout + 2 x 10 s calls + a 5 s search = 55 s.
    for (const seconds of ['11', '55']) {
      expect(() => loadEmailBatcherConfig({ ...required, EMAIL_CLAIM_SECONDS: seconds })).toThrow(
        /EMAIL_CLAIM_SECONDS \(\d+\) must outlast the function timeout FUNCTION_TIMEOUT_SECONDS \(30 s\) plus the 2 calls .* plus EMAIL_SEARCH_TIMEOUT_MS \(5000 ms\)/,
      );
    }
    expect(loadEmailBatcherConfig({ ...required, EMAIL_CLAIM_SECONDS: '56' }).claimSeconds).toBe(
      56,
    );
    expect(() =>
      loadEmailBatcherConfig({
        ...required,
        EMAIL_CLAIM_SECONDS: '56',
        EMAIL_PROVIDER_TIMEOUT_MS: '10500',
      }),
    ).toThrow(/EMAIL_CLAIM_SECONDS/);
    // Without a search, the search's time is not needed.
    expect(
      loadEmailBatcherConfig({ ...required, EMAIL_CLAIM_SECONDS: '51', EMAIL_SEARCH: 'off' })
        .claimSeconds,
    ).toBe(51);
  });

  it('counts the function timeout it is given', () => {
    const env = { ...required, EMAIL_CLAIM_SECONDS: '56' };
    expect(() => loadEmailBatcherConfig({ ...env, FUNCTION_TIMEOUT_SECONDS: '31' })).toThrow(
      /EMAIL_CLAIM_SECONDS/,
    );
    expect(loadEmailBatcherConfig({ ...env, FUNCTION_TIMEOUT_SECONDS: '1' }).claimSeconds).toBe(56);
  });

  it('reads the reconciliation settings, and refuses a search setting that is neither on nor off', () => {
    const config = loadEmailBatcherConfig(required);
    expect(config).toMatchObject({
      search: true,
      searchTimeoutMs: 5000,
      reconcileSettleSeconds: 120,
      reconcileLimitHours: 24,
    });
    expect(() => loadEmailBatcherConfig({ ...required, EMAIL_SEARCH: 'yes' })).toThrow(
      /EMAIL_SEARCH must be "on" or "off"/,
    );
    expect(() =>
      loadEmailBatcherConfig({ ...required, EMAIL_RECONCILE_SETTLE_SECONDS: '901' }),
    ).toThrow(/EMAIL_RECONCILE_SETTLE_SECONDS/);
  });

  it('refuses the same for the workflow trigger (20 s timeout + 2 x 5 s calls)', () => {
    const workflow = {
      SECRETS_PREFIX: 'connector-suite/test',
      STATE_TABLE: 'state',
      WORKFLOW_JOBS_QUEUE_URL: 'http://sqs/w',
      WORKFLOW_JOBS_DLQ_URL: 'http://sqs/w-dlq',
      WORKFLOW_API_URL: 'http://engine',
    };
    expect(() => loadWorkflowTriggerConfig({ ...workflow, WORKFLOW_CLAIM_SECONDS: '30' })).toThrow(
      /WORKFLOW_CLAIM_SECONDS \(30\) must outlast/,
    );
    expect(
      loadWorkflowTriggerConfig({ ...workflow, WORKFLOW_CLAIM_SECONDS: '31' }).claimSeconds,
    ).toBe(31);
  });

  it.each([
    ['email-batcher', EMAIL_BATCHER_TIMEOUT_SECONDS],
    ['workflow-trigger', WORKFLOW_TRIGGER_TIMEOUT_SECONDS],
  ])(
    "keeps %s's function.yml timeout, FUNCTION_TIMEOUT_SECONDS and the loader's default equal",
    (name, seconds) => {
      const yml = readFileSync(
        path.join(__dirname, '..', '..', '..', '..', 'functions', name, 'function.yml'),
        'utf8',
      );
      expect(yml.match(/^ {2}timeout: (\d+)$/m)?.[1]).toBe(String(seconds));
      expect(yml.match(/^ {4}FUNCTION_TIMEOUT_SECONDS: "(\d+)"$/m)?.[1]).toBe(String(seconds));
    },
  );
});
