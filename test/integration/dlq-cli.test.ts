import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { listDeadLetters } from '../../shared/dead-letter/dead-letter-index';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { DlqCli, messageCount } from '../helpers/dlq-cli';
import { drain } from '../helpers/sqs/queue-messages';
import { tableName } from '../helpers/stack/local-stack';
import { WorkflowHarness, workflowJob } from '../helpers/workflow/workflow-harness';

describe('npm run dlq (list, show, replay --dry-run, replay --source)', () => {
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

  const jobId = (name: string) => `dlq-${harness.id}-${name}`;

  /** 3 stripe letters (attempts exhausted), 2 github ones (invalid), 1 moved by redrive (unindexed). */
  async function seedMixed() {
    for (const name of ['s1', 's2', 's3']) {
      await cli.seed({
        body: JSON.stringify(workflowJob(jobId(name))),
        reason: 'engine answered 500 after 4 attempt(s); Bearer sekrit-engine-token',
        reasonCode: 'attempts-exhausted',
        attempts: 4,
        jobId: jobId(name),
        source: 'stripe',
        eventType: 'invoice.paid',
        attributes: { correlationId: `corr-${name}` },
        // s1's attempts may have reached the engine: the dead letter is marked ambiguous.
        ...(name === 's1' ? { ambiguous: true } : {}),
      });
    }
    for (const name of ['g1', 'g2']) {
      await cli.seed({
        body: JSON.stringify({ ...workflowJob(jobId(name)), workflow: 'nope' }),
        reason: 'unknown workflow',
        reasonCode: 'invalid-job',
        attempts: 0,
        jobId: jobId(name),
        source: 'github',
        eventType: 'push',
      });
    }
    await harness.sqs.send(
      new SendMessageCommand({
        QueueUrl: harness.dlqUrl,
        MessageBody: JSON.stringify(workflowJob(jobId('r1'))),
        MessageAttributes: { source: { DataType: 'String', StringValue: 'stripe' } },
      }),
    );
  }

  it('lists counts by reason, source and type beside the DLQ count, and receives nothing', async () => {
    await seedMixed();

    const result = await cli.run(['list', 'workflow-jobs', '--json']);

    expect(result.code).toBe(0);
    const [counts] = JSON.parse(result.stdout);
    expect(counts).toMatchObject({
      queue: 'workflow-jobs',
      inQueue: 6,
      inFlight: 0,
      indexed: 5,
      unindexed: 1,
      byReason: [
        ['attempts-exhausted', 3],
        ['invalid-job', 2],
      ],
      bySource: [
        ['stripe', 3],
        ['github', 2],
      ],
      byType: [
        ['invoice.paid', 3],
        ['push', 2],
      ],
    });
    expect(counts.oldest <= counts.newest).toBe(true);
    expect(await messageCount(harness.sqs, harness.dlqUrl)).toBe(6);
  }, 30_000);

  it('shows reasons and attempt history without a body or a secret, and receives nothing', async () => {
    await seedMixed();
    const ledger = new JobLedger({
      client: harness.dynamoDb,
      tableName: tableName('state'),
      scope: 'workflow',
      keepSeconds: 600,
      now: Date.now,
    });
    const claim = await ledger.claim(jobId('s1'), 'fp', 'token', 1000);
    if (claim.kind !== 'claimed') throw new Error(`the claim came to ${claim.kind}`);
    await ledger.release(claim.hold, 'dead', 'engine said 500 (token=sekrit-ledger-token)');

    const result = await cli.run(['show', 'workflow-jobs', '--limit', '10']);
    const json = await cli.run(['show', 'workflow-jobs', '--json']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(jobId('s1'));
    expect(result.stdout).toContain('attempts-exhausted');
    expect(result.stdout).toContain('dead: engine said 500');
    expect(result.stdout).not.toMatch(/sekrit|campaignId/);
    expect(result.stdout.match(/AMBIGUOUS/g)).toHaveLength(1);
    const shown = JSON.parse(json.stdout) as {
      jobId: string;
      ambiguous?: boolean;
      ledger?: { status: string };
    }[];
    expect(shown).toHaveLength(5);
    expect(shown.find((letter) => letter.jobId === jobId('s1'))?.ledger?.status).toBe('dead');
    expect(shown.filter((letter) => letter.ambiguous).map((letter) => letter.jobId)).toEqual([
      jobId('s1'),
    ]);
    expect(json.stdout).not.toMatch(/sekrit/);
    expect(await messageCount(harness.sqs, harness.dlqUrl)).toBe(6);
  }, 30_000);

  it('changes nothing on a dry run', async () => {
    await seedMixed();

    const result = await cli.run(['replay', 'workflow-jobs', '--source', 'stripe', '--dry-run']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('4 of 6 dead letter(s) would be replayed');
    expect(result.stdout).toContain('of which 1 ambiguous');
    expect(await messageCount(harness.sqs, harness.queueUrl)).toBe(0);
    const left = await drain(harness.sqs, harness.dlqUrl, { visibilityTimeout: 60 });
    expect(left).toHaveLength(6);
    const indexed = await listDeadLetters(harness.dynamoDb, tableName('state'), {
      queue: cli.queueName,
    });
    expect(indexed).toHaveLength(5);
  }, 30_000);

  it('moves exactly the messages of one source, body unchanged, without the dead-letter attributes', async () => {
    await seedMixed();

    const result = await cli.run(['replay', 'workflow-jobs', '--source', 'github', '--rate', '50']);

    expect(result.code).toBe(0);
    const moved = await drain(harness.sqs, harness.queueUrl, { visibilityTimeout: 60 });
    expect(moved.map((m) => JSON.parse(m.Body ?? '{}').id).sort()).toEqual([
      jobId('g1'),
      jobId('g2'),
    ]);
    expect(JSON.parse(moved[0]?.Body ?? '{}').workflow).toBe('nope');
    expect(Object.keys(moved[0]?.MessageAttributes ?? {}).sort()).toEqual(['eventType', 'source']);
    const left = await drain(harness.sqs, harness.dlqUrl, { visibilityTimeout: 60 });
    expect(left.map((m) => m.MessageAttributes?.source?.StringValue).sort()).toEqual([
      'stripe',
      'stripe',
      'stripe',
      'stripe',
    ]);
    const indexed = await listDeadLetters(harness.dynamoDb, tableName('state'), {
      queue: cli.queueName,
    });
    expect(indexed.map((item) => item.source)).toEqual(['stripe', 'stripe', 'stripe']);
  }, 30_000);

  it('replays the messages the redrive moved with --reason redrive', async () => {
    await seedMixed();

    const result = await cli.run([
      'replay',
      'workflow-jobs',
      '--reason',
      'redrive',
      '--rate',
      '50',
    ]);

    expect(result.code).toBe(0);
    const moved = await drain(harness.sqs, harness.queueUrl, { visibilityTimeout: 60 });
    expect(moved.map((m) => JSON.parse(m.Body ?? '{}').id)).toEqual([jobId('r1')]);
    expect(await messageCount(harness.sqs, harness.dlqUrl)).toBe(5);
  }, 30_000);
});
