import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { DlqCli } from '../helpers/dlq-cli';
import { EmailHarness } from '../helpers/email/email-harness';
import { tableName } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';

const names = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

/**
 * Reconciliation against the sandbox provider's raw records: a job whose call had an unknown outcome
 * is searched for at the provider before it is sent again, and is sent at most once whatever the
 * search does (fails, is rate limited, hangs, lags behind).
 */
describe('email batcher: reconciling calls of unknown outcome with the provider', () => {
  let harness: EmailHarness;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    harness = await new EmailHarness().open();
  });

  afterEach(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    child = undefined;
    await harness.close();
  });

  const ledger = () =>
    new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'email',
      keepSeconds: 60,
      now: Date.now,
    });

  it('a search that fails, is rate limited and hangs: jobs wait without spending attempts, then are sent once', async () => {
    // The call never reaches the provider's records (hang before recording) and gets no answer.
    harness.sandbox.state.faults.push({ hang: 'before', hangMs: 6000 });
    harness.sandbox.state.searchFaults.push(
      { status: 500 },
      { status: 429, retryAfter: 1 },
      { hang: true, hangMs: 3000 },
    );
    const queued = names('searchfault', 3);
    await harness.enqueue(queued.map((name) => harness.job(name)));
    await harness.start({ batchSize: 10, windowSeconds: 1 });
    await waitFor(
      'every job sent after an empty search',
      () => harness.telemetry.counts['resent-after-empty-search'] >= queued.length,
      60_000,
    );
    await harness.quiet(queued);
    await harness.stopBatchers();

    expect([...harness.sentCounts().values()]).toEqual(queued.map(() => 1));
    expect(await harness.deadLetters()).toHaveLength(0);
    // Three failed searches and the one that answered; each job waited on each failure.
    expect(harness.sandbox.state.searches.map((search) => search.status)).toEqual([
      500, 429, 0, 200,
    ]);
    const waits = harness.telemetry.lines.filter(
      (line) => line.outcome === 'deferred' && /provider search/.test(line.reason ?? ''),
    );
    expect(waits).toHaveLength(3 * queued.length);
    // Attempts: the call that hung, and the send. The waits spent none.
    for (const name of queued) {
      expect(await ledger().get(`${harness.id}-${name}`)).toMatchObject({
        status: 'sent',
        attempts: 2,
      });
    }
  }, 90_000);

  it('a batcher killed (SIGKILL) after the provider recorded its call: the next delivery finds it sent, even when the search lags behind', async () => {
    // The provider records the call and never answers; its search shows a message 18 s after.
    harness.sandbox.state.faults.push({ hang: 'after', hangMs: 30_000 });
    harness.sandbox.state.settings.searchDelayMs = 18_000;
    const queued = names('killed', 3);
    await harness.enqueue(queued.map((name) => harness.job(name)));
    // A settle window longer than the indexing delay: the first search (when the killed batcher's
    // claims run out, 12 s) sees nothing yet, and the jobs wait for the window instead of re-sending.
    const env = { EMAIL_RECONCILE_SETTLE_SECONDS: '22' };
    child = spawn(
      process.execPath,
      [
        'tools/run-ts.js',
        'test/helpers/email/email-batcher-process.ts',
        JSON.stringify({ env: harness.batcherEnv(env), queueUrl: harness.queueUrl }),
      ],
      // Jest's process.env is the test's own copy: the child gets it explicitly (the local endpoints).
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
    );
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
    await waitFor(
      'the call recorded by the provider',
      () => harness.sandbox.state.messages.length === queued.length,
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the batcher process printed: ${output}`);
    });
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(output).not.toMatch(/handled/);

    await harness.start({ batchSize: 10, windowSeconds: 1, env });
    await waitFor(
      'every job found at the provider',
      () => harness.telemetry.counts.found >= queued.length,
      60_000,
    );
    await harness.quiet(queued);
    await harness.stopBatchers();

    // The raw records: one call, each job once.
    expect(harness.sandbox.state.calls).toHaveLength(1);
    expect([...harness.sentCounts().values()]).toEqual(queued.map(() => 1));
    expect(await harness.deadLetters()).toHaveLength(0);
    // The first search came before the indexing delay and found nothing; the jobs waited.
    const searches = harness.sandbox.state.searches;
    expect(searches.length).toBeGreaterThanOrEqual(2);
    expect(searches[0]?.total).toBe(0);
    expect(searches.at(-1)?.total).toBe(queued.length);
    expect(harness.telemetry.counts['resent-after-empty-search']).toBe(0);
    for (const name of queued) {
      const entry = await ledger().get(`${harness.id}-${name}`);
      expect(entry).toMatchObject({ status: 'sent' });
      expect(entry?.history?.some((line) => /found at the provider/.test(line))).toBe(true);
    }
  }, 120_000);

  it('npm run dlq -- replay finds a dead-lettered ambiguous job at the provider: recorded sent, not sent again', async () => {
    // One attempt only, and it hangs after the provider recorded it: dead-lettered ambiguous, with its
    // call on record in the ledger.
    harness.sandbox.state.faults.push({ hang: 'after', hangMs: 6000 });
    await harness.enqueue([harness.job('replayed')]);
    await harness.start({ batchSize: 10, windowSeconds: 1, env: { EMAIL_MAX_ATTEMPTS: '1' } });
    await waitFor(
      'the job dead-lettered',
      () => harness.telemetry.counts['dead-lettered'] >= 1,
      30_000,
    );
    await harness.quiet(['replayed']);
    await harness.stopBatchers();
    expect(await ledger().get(`${harness.id}-replayed`)).toMatchObject({
      status: 'dead',
      calls: [expect.objectContaining({ ref: expect.any(String) })],
    });

    const cli = new DlqCli(harness, {
      emailSandbox: harness.sandbox.url,
      secretName: harness.secretName,
    });
    try {
      const run = await cli.run(['replay', 'email-jobs']);
      expect(run.stdout).toMatch(/found at the provider \(recorded sent, not replayed\): 1/);
      expect(run.code).toBe(0);
    } finally {
      cli.close();
    }
    // Nothing went back on the queue, nothing is left in the DLQ, the provider has it once.
    expect(await harness.deadLetters()).toHaveLength(0);
    await harness.quiet(['replayed']);
    expect(harness.sentCounts().get('replayed')).toBe(1);
    expect(harness.sandbox.state.calls).toHaveLength(1);
    expect(harness.sandbox.state.searches.length).toBeGreaterThanOrEqual(1);
    expect(await ledger().get(`${harness.id}-replayed`)).toMatchObject({ status: 'sent' });
  }, 90_000);
});
