import { readFileSync } from 'node:fs';
import path from 'node:path';
import { backlogResendsPerSend, tokenWaitMs } from '../../../../functions/email-batcher/backlog';
import {
  EMAIL_BATCHER_TIMEOUT_SECONDS,
  loadEmailBatcherConfig,
} from '../../../../functions/email-batcher/config';

const root = path.join(__dirname, '..', '..', '..', '..');

/**
 * The `params` of serverless.yml: `default` and every stage's overrides, merged onto the default
 * (scalar values only, which is all the email params are).
 */
function stageParams(): Map<string, Record<string, string>> {
  const lines = readFileSync(path.join(root, 'serverless.yml'), 'utf8').split('\n');
  const start = lines.indexOf('params:');
  const raw = new Map<string, Record<string, string>>();
  let stage: Record<string, string> | undefined;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break;
    const stageMatch = line.match(/^ {2}([\w-]+):\s*$/);
    if (stageMatch?.[1]) {
      stage = {};
      raw.set(stageMatch[1], stage);
      continue;
    }
    const param = line.match(/^ {4}(\w+):\s*"?([^"#]*?)"?\s*$/);
    if (param?.[1] && stage) stage[param[1]] = param[2] ?? '';
  }
  const defaults = raw.get('default') ?? {};
  return new Map([...raw].map(([name, values]) => [name, { ...defaults, ...values }]));
}

describe('sustained email backlog', () => {
  it('costs re-sends when the batches handed over outrun the rate within one invocation', () => {
    const settings = {
      ratePerSecond: 50,
      functionTimeoutSeconds: 30,
      providerTimeoutMs: 10_000,
    };
    // 30 s less 1 s of claims, the 10 s call and 3 s to settle it.
    expect(tokenWaitMs(settings)).toBe(16_000);
    // The defaults before issue 19: 2,500 records handed over, 640 counted sendable (80 % of 800).
    expect(backlogResendsPerSend({ ...settings, batchSize: 500, maxConcurrency: 5 })).toBeCloseTo(
      2500 / 640 - 1,
    );
    expect(backlogResendsPerSend({ ...settings, batchSize: 300, maxConcurrency: 2 })).toBe(0);
    // 2 x 350 is within the rate but not within the share counted on (whole batches were deferred).
    expect(
      backlogResendsPerSend({ ...settings, batchSize: 350, maxConcurrency: 2 }),
    ).toBeGreaterThan(0);
    expect(
      backlogResendsPerSend({
        ...settings,
        providerTimeoutMs: 30_000,
        batchSize: 1,
        maxConcurrency: 1,
      }),
    ).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([...stageParams().keys()])(
    'is sent without cycling through the queue with the %s stage params',
    (stage) => {
      const params = stageParams().get(stage) as Record<string, string>;
      expect(
        backlogResendsPerSend({
          batchSize: Number(params.emailBatchSize),
          maxConcurrency: Number(params.emailMaxConcurrency),
          ratePerSecond: Number(params.emailRatePerSecond),
          functionTimeoutSeconds: EMAIL_BATCHER_TIMEOUT_SECONDS,
          providerTimeoutMs: Number(params.emailProviderTimeoutMs),
        }),
      ).toBe(0);
    },
  );

  it('lets claimed jobs wait for tokens as long as the invocation allows by default', () => {
    const config = loadEmailBatcherConfig({
      SECRETS_PREFIX: 'connector-suite/test',
      STATE_TABLE: 'state',
      EMAIL_JOBS_QUEUE_URL: 'http://sqs/q',
      EMAIL_JOBS_DLQ_URL: 'http://sqs/q-dlq',
      EMAIL_API_URL: 'https://api.postmarkapp.com/',
    });
    expect(config.rateMaxWaitMs).toBeGreaterThanOrEqual(EMAIL_BATCHER_TIMEOUT_SECONDS * 1000);
  });
});
