import { listDeadLetters } from '../../shared/dead-letter/dead-letter-index';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { DlqCli, messageCount } from '../helpers/dlq-cli';
import { tableName } from '../helpers/stack/local-stack';
import { waitFor } from '../helpers/wait';
import { WorkflowHarness, workflowJob } from '../helpers/workflow/workflow-harness';

describe('npm run dlq -- replay through the workflow trigger', () => {
  let harness: WorkflowHarness;
  let cli: DlqCli;

  beforeEach(async () => {
    harness = await new WorkflowHarness().open();
    cli = new DlqCli(harness);
  });

  afterEach(async () => {
    cli.close();
    await harness.close();
  });

  const jobId = (name: string) => `replay-${harness.id}-${name}`;
  const ledger = () =>
    new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'workflow',
      keepSeconds: 600,
      now: Date.now,
    });
  const indexed = () =>
    listDeadLetters(harness.dynamoDb, tableName('state'), { queue: cli.queueName });
  const drained = async () =>
    (await messageCount(harness.sqs, harness.queueUrl)) === 0 &&
    (await messageCount(harness.sqs, harness.dlqUrl)) === 0;

  it('replays a job the trigger dead-lettered to success, with its attempts reset', async () => {
    harness.sandbox.configure({ alwaysStatus: 500 });
    await harness.enqueue(workflowJob(jobId('down')));
    await harness.start({ env: { WORKFLOW_BREAKER_MIN_CALLS: '1000' } });
    await waitFor(
      'the job in the dead-letter index',
      async () => (await indexed()).length === 1,
      30_000,
    );
    harness.sandbox.configure({ alwaysStatus: null });

    const result = await cli.run(['replay', 'workflow-jobs', '--rate', '50']);
    await waitFor(
      'the replayed job triggered',
      () => harness.telemetry.counts.triggered >= 1,
      20_000,
    );
    await harness.quiet([jobId('down')]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('replayed 1 of 1');
    expect(harness.callsFor(jobId('down')).map((call) => call.status)).toEqual([
      500, 500, 500, 500, 200,
    ]);
    expect(await ledger().get(jobId('down'))).toMatchObject({ status: 'sent', attempts: 1 });
    expect(await indexed()).toEqual([]);
  }, 60_000);

  it('does not trigger again a replayed job that had already succeeded, and --force does', async () => {
    const job = workflowJob(jobId('done'));
    await harness.enqueue(job);
    await harness.start();
    await waitFor('the job triggered', () => harness.telemetry.counts.triggered >= 1, 20_000);
    // A second copy of it dead-lettered earlier (say, by a crashed consumer's redrive).
    await cli.seed({
      body: JSON.stringify(job),
      reason: 'test',
      reasonCode: 'attempts-exhausted',
      attempts: 8,
      jobId: job.id,
    });

    const plain = await cli.run(['replay', 'workflow-jobs', '--rate', '50']);
    await waitFor(
      'the replayed copy absorbed',
      () => harness.telemetry.counts.duplicate >= 1,
      20_000,
    );
    await harness.quiet([job.id]);

    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('already succeeded (absorbed by the consumer): 1');
    expect(harness.callsFor(job.id)).toHaveLength(1);

    await cli.seed({ body: JSON.stringify(job), reason: 'test', reasonCode: 'x', attempts: 8 });
    const refused = await cli.run(['replay', 'workflow-jobs', '--force']);
    expect(refused.code).toBe(2);
    expect(await messageCount(harness.sqs, harness.dlqUrl)).toBe(1);

    const forced = await cli.run(['replay', 'workflow-jobs', '--force', '--yes', '--rate', '50']);
    await waitFor(
      'the forced replay triggered',
      () => harness.callsFor(job.id).length >= 2,
      20_000,
    );
    await harness.quiet([job.id]);

    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('idempotency records cleared (--force): 1');
    expect(harness.callsFor(job.id)).toHaveLength(2);
  }, 60_000);

  it('loses and doubles nothing when the replay is killed halfway and run again', async () => {
    const ids = Array.from({ length: 20 }, (_, index) => jobId(`k${index}`));
    for (const id of ids) {
      await cli.seed({
        body: JSON.stringify(workflowJob(id)),
        reason: 'engine down',
        reasonCode: 'attempts-exhausted',
        attempts: 4,
        jobId: id,
        source: 'stripe',
      });
    }
    await harness.start();

    const first = cli.spawn(['replay', 'workflow-jobs', '--rate', '4', '--visibility', '3']);
    let progress = '';
    first.stderr?.on('data', (chunk) => {
      progress += chunk;
    });
    // Its plain progress lines (stderr is not a terminal) say when a fifth of the replay is done.
    await waitFor(
      'a fifth of the replay done',
      () => /replay \[#* *-*\] [4-9]\/20 /.test(progress),
      30_000,
      20,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('close', resolve));
    const leftIndexed = (await indexed()).length;
    expect(leftIndexed).toBeGreaterThan(0);
    expect(leftIndexed).toBeLessThan(ids.length);
    // The killed scan's messages become visible again after its visibility (3 s). A wait for a
    // visibility timeout to pass, not for "nothing happened": the emulator only counts them visible
    // again when next received, so no count can be polled for it.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const second = await cli.run(['replay', 'workflow-jobs', '--rate', '100']);
    await waitFor(
      'every replayed job triggered',
      () => new Set(harness.sandbox.calls().map((c) => c.idempotencyKey)).size >= ids.length,
      30_000,
    );
    await waitFor('both queues drained', drained, 20_000);
    await harness.quiet(ids);

    expect(second.code).toBe(0);
    const calls = harness.sandbox.calls().filter((call) => call.status === 200);
    expect(calls.map((call) => call.idempotencyKey).sort()).toEqual([...ids].sort());
    expect(await messageCount(harness.sqs, harness.dlqUrl)).toBe(0);
    expect(await indexed()).toEqual([]);
  }, 90_000);
});
