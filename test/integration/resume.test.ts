import { spawn } from 'node:child_process';
import path from 'node:path';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { providerPauseReader } from '../../shared/email/provider-pause';
import { breakerStateReader } from '../../shared/workflow/breaker/reader';
import type { TriggerLine } from '../../shared/workflow/telemetry';
import { EmailHarness } from '../helpers/email/email-harness';
import { healthHarness } from '../helpers/health/health-harness';
import { tableName } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';
import { WorkflowHarness, workflowJob } from '../helpers/workflow/workflow-harness';

/**
 * Resuming on purpose, against the local servers: `npm run resume` (the real command, through its
 * runner, on the stack jest started) ends a refusal's cool-down, and jobs already held for it are
 * triggered or sent in the next re-check; a new version of the token secret does the same without
 * the command. Cool-downs are 600 s here, so nothing but the resume can release the jobs in time.
 */

const root = path.resolve(__dirname, '..', '..');

/** Runs `npm run resume -- ...args` against the stack of LOCAL_STACK_STATE_FILE (killed after 60 s). */
function resumeCommand(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ['tools/run-ts.js', 'tools/resume/cli.ts', ...args], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: stdout + stderr });
    });
  });
}

async function stateItem(
  harness: { dynamoDb: WorkflowHarness['dynamoDb'] },
  key: { pk: string; sk: string },
) {
  const { Item } = await DynamoDBDocumentClient.from(harness.dynamoDb).send(
    new GetCommand({ TableName: tableName('state'), Key: key, ConsistentRead: true }),
  );
  return Item;
}

const JOBS = 5;
/** The deployed default: held jobs look again at least this often. */
const RECHECK_SECONDS = 20;

describe('resume on purpose: workflow breaker', () => {
  let harness: WorkflowHarness;
  let lines: TriggerLine[];

  beforeEach(async () => {
    harness = await new WorkflowHarness().open();
    lines = [];
    const record = harness.telemetry.job.bind(harness.telemetry);
    jest.spyOn(harness.telemetry, 'job').mockImplementation((line) => {
      lines.push(line);
      record(line);
    });
  });

  afterEach(async () => {
    await harness.close();
  });

  /** Jobs refused by the engine, held for the open breaker, and held again after one re-check. */
  async function heldForRefusal(env: Record<string, string>) {
    harness.sandbox.configure({ token: `not-${harness.token}` });
    for (let index = 0; index < JOBS; index += 1) {
      await harness.enqueue(workflowJob(`${harness.id}-r${index}`));
    }
    await harness.start({
      count: 2,
      env: { WORKFLOW_REFUSED_COOLDOWN_SECONDS: '600', ...env },
    });
    const { breaker } = harness.trigger();
    await waitFor('the breaker to open', async () => (await breaker.state()) === 'open', 20_000);
    // Every job came back once and found the breaker still open: held, with a delay running.
    const heldAgain = () =>
      new Set(
        lines
          .filter((line) => line.outcome === 'deferred' && line.reason === 'circuit breaker open')
          .map((line) => line.jobId),
      ).size;
    await waitFor(`all ${JOBS} jobs held for the open breaker`, () => heldAgain() === JOBS, 40_000);
    return breaker;
  }

  it('`npm run resume -- workflow` starts one trial at once and the held jobs are triggered in the next re-check', async () => {
    const breaker = await heldForRefusal({});
    expect(harness.sandbox.executions()).toHaveLength(0);

    harness.sandbox.configure({ token: harness.token });
    const resumedAt = Date.now();
    const run = await resumeCommand([
      'workflow',
      '--reason',
      'engine token fixed <b>',
      '--by',
      'test-operator',
      '--engine',
      `test-${harness.id}`,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the next call is one trial');

    await waitFor(`${JOBS} triggers`, () => harness.telemetry.counts.triggered >= JOBS, 60_000);
    const seconds = (Date.now() - resumedAt) / 1000;
    await harness.stopTriggers();
    process.stdout.write(`resume -> all ${JOBS} held jobs triggered in ${seconds.toFixed(1)} s\n`);

    expect(await breaker.state()).toBe('closed');
    // Each held job came back within the re-check period (and its jitter), never the cool-down.
    const holds = lines.filter((line) => line.reason === 'circuit breaker open');
    expect(Math.max(...holds.map((line) => line.delaySeconds ?? 0))).toBeLessThanOrEqual(
      RECHECK_SECONDS + 3,
    );
    const executions = harness.sandbox.executions();
    expect(new Set(executions.map((execution) => execution.idempotencyKey)).size).toBe(JOBS);
    expect(executions).toHaveLength(JOBS);
    expect(harness.telemetry.counts.resumed).toBe(1);
    expect(await stateItem(harness, { pk: `breaker#test-${harness.id}`, sk: 'state' })).toEqual(
      expect.objectContaining({
        state: 'closed',
        resumedBy: 'test-operator',
        resumeReason: 'engine token fixed <b>',
        resumeVia: 'command',
        resumeCount: 1,
        resumedAt: expect.any(String),
      }),
    );
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 150_000);

  it('a new version of the engine token secret ends the cool-down without the command', async () => {
    const breaker = await heldForRefusal({ WORKFLOW_HOLD_RECHECK_SECONDS: '5' });
    expect(harness.sandbox.executions()).toHaveLength(0);

    const rotated = `rotated-${harness.id}`;
    harness.sandbox.configure({ token: rotated });
    await harness.secretsManager.send(
      new PutSecretValueCommand({
        SecretId: `test-${harness.id}/providers/workflow`,
        SecretString: JSON.stringify({ token: rotated }),
      }),
    );

    await waitFor(`${JOBS} triggers`, () => harness.telemetry.counts.triggered >= JOBS, 60_000);
    await harness.stopTriggers();

    expect(await breaker.state()).toBe('closed');
    expect(harness.sandbox.executions()).toHaveLength(JOBS);
    expect(harness.telemetry.counts.resumed).toBe(1);
    expect(await stateItem(harness, { pk: `breaker#test-${harness.id}`, sk: 'state' })).toEqual(
      expect.objectContaining({ resumeVia: 'new-token-version', resumeCount: 1 }),
    );
  }, 150_000);

  it('shows who resumed, when and why on /status, escaped', async () => {
    const engine = `test-${harness.id}`;
    await harness.trigger().breaker.open('engine refused our configuration: 401', true, 'v1');
    const run = await resumeCommand([
      'workflow',
      '--reason',
      'token fixed <script>',
      '--by',
      'test-operator',
      '--engine',
      engine,
    ]);
    expect(run.code).toBe(0);
    const probe = await healthHarness({
      extras: {
        workflowBreaker: breakerStateReader({
          client: harness.dynamoDb,
          tableName: tableName('state'),
          engine,
        }),
        emailPause: providerPauseReader({
          client: harness.dynamoDb,
          tableName: tableName('state'),
          account: `test-${harness.id}`,
        }),
      },
    });
    try {
      await probe.probe();
      const page = String((await probe.status()).body);

      expect(page).toMatch(
        /last resumed \d{4}-\d{2}-\d{2}T[^ ]+ by test-operator \(command\): token fixed &lt;script&gt;/,
      );
      expect(page).toContain('data-check="email:providerPause"');
      expect(page).not.toContain('<script');
    } finally {
      await probe.close();
    }
  }, 60_000);

  it('says there is nothing to resume when the breaker is closed, and writes nothing', async () => {
    const run = await resumeCommand([
      'workflow',
      '--reason',
      'just in case',
      '--engine',
      `test-${harness.id}`,
    ]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing to resume');
    expect(await stateItem(harness, { pk: `breaker#test-${harness.id}`, sk: 'state' })).toBe(
      undefined,
    );
  }, 60_000);
});

describe('resume on purpose: email provider pause', () => {
  let harness: EmailHarness;

  beforeEach(async () => {
    harness = await new EmailHarness().open();
  });

  afterEach(async () => {
    await harness.close();
  });

  /** Jobs refused by the provider (401), held for the pause, and held again after one re-check. */
  async function heldForPause(env: Record<string, string>) {
    harness.sandbox.state.settings.token = `not-${harness.sandboxToken}`;
    const ids = Array.from({ length: JOBS }, (_, index) => `p${index}`);
    await harness.enqueue(ids.map((id) => harness.job(id)));
    await harness.start({
      count: 2,
      batchSize: 10,
      windowSeconds: 1,
      env: { EMAIL_PAUSE_SECONDS: '600', ...env },
    });
    await waitFor('the pause', () => harness.telemetry.counts.paused >= 1, 20_000);
    const heldAgain = () =>
      new Set(
        harness.telemetry.lines
          .filter((line) => line.outcome === 'deferred' && line.reason === 'provider paused')
          .map((line) => line.jobId),
      ).size;
    await waitFor(`all ${JOBS} jobs held for the pause`, () => heldAgain() === JOBS, 40_000);
  }

  it('`npm run resume -- email` lifts the pause into one trial and the held jobs are sent in the next re-check', async () => {
    await heldForPause({});
    expect(harness.sentCounts().size).toBe(0);

    harness.sandbox.state.settings.token = harness.sandboxToken;
    const resumedAt = Date.now();
    const run = await resumeCommand([
      'email',
      '--reason',
      'account re-enabled',
      '--by',
      'test-operator',
      '--account',
      harness.account,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the next call is one trial');

    await waitFor(`${JOBS} sent`, () => harness.sentCounts().size === JOBS, 60_000);
    const seconds = (Date.now() - resumedAt) / 1000;
    await harness.stopBatchers();
    process.stdout.write(`resume -> all ${JOBS} held emails sent in ${seconds.toFixed(1)} s\n`);

    const holds = harness.telemetry.lines.filter((line) => line.reason === 'provider paused');
    expect(Math.max(...holds.map((line) => line.delaySeconds ?? 0))).toBeLessThanOrEqual(
      RECHECK_SECONDS + 3,
    );
    expect([...harness.sentCounts().values()]).toEqual(Array(JOBS).fill(1));
    expect(harness.telemetry.counts.resumed).toBe(1);
    const item = await stateItem(harness, { pk: `provider#${harness.account}`, sk: 'pause' });
    expect(item).toEqual(
      expect.objectContaining({
        resumedBy: 'test-operator',
        resumeReason: 'account re-enabled',
        resumeVia: 'command',
        resumeCount: 1,
      }),
    );
    // The trial succeeded: no trial is pending, every batcher sends again.
    expect(item?.trialPending).toBeUndefined();
    expect(await harness.deadLetters()).toHaveLength(0);
  }, 150_000);

  it('a new version of the provider token secret lifts the pause without the command', async () => {
    await heldForPause({ EMAIL_HOLD_RECHECK_SECONDS: '5' });
    expect(harness.sentCounts().size).toBe(0);

    const rotated = `rotated-${harness.id}`;
    harness.sandbox.state.settings.token = rotated;
    await harness.rotateSecret(rotated);

    await waitFor(`${JOBS} sent`, () => harness.sentCounts().size === JOBS, 60_000);
    await harness.stopBatchers();

    expect([...harness.sentCounts().values()]).toEqual(Array(JOBS).fill(1));
    expect(harness.telemetry.counts.resumed).toBe(1);
    expect(await stateItem(harness, { pk: `provider#${harness.account}`, sk: 'pause' })).toEqual(
      expect.objectContaining({ resumeVia: 'new-token-version', resumeCount: 1 }),
    );
  }, 150_000);
});
