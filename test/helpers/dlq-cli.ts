import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DeadLetter, sendToDeadLetterQueue } from '../../shared/dead-letter/dead-letter';
import { queueNameOf } from '../../shared/queue/queue-name';
import { localStack, tableName } from './stack/local-stack';

/** The queues (and clients) of a harness the CLI is pointed at. */
export interface DlqCliHarness {
  queueUrl: string;
  dlqUrl: string;
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
}

/** An email harness's provider: the sandbox and the secret holding its token. */
export interface DlqCliEmailProvider {
  emailSandbox: string;
  secretName: string;
}

const root = path.resolve(__dirname, '..', '..');

/** What a finished `npm run dlq` said. */
export interface DlqRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The CLI pointed at a harness's own queues: a copy of the local stack's state file whose workflow
 * queue and DLQ are the harness's, so parallel tests never scan each other's dead letters.
 */
export class DlqCli {
  readonly #dir = mkdtempSync(path.join(tmpdir(), 'dlq-cli-'));
  readonly stateFile = path.join(this.#dir, 'stack.json');
  readonly #harness: DlqCliHarness;

  /** `email`: the harness's queues stand for `email-jobs`, and its sandbox for the provider. */
  constructor(harness: DlqCliHarness, email?: DlqCliEmailProvider) {
    this.#harness = harness;
    const state = localStack();
    const entry = (url: string) => ({ name: queueNameOf(url), url, arn: '' });
    const [queueId, dlqId] = email
      ? ['EmailJobsQueue', 'EmailJobsDlq']
      : ['WorkflowJobsQueue', 'WorkflowJobsDlq'];
    writeFileSync(
      this.stateFile,
      JSON.stringify({
        ...state,
        queues: { [queueId]: entry(harness.queueUrl), [dlqId]: entry(harness.dlqUrl) },
        ...(email ? { emailSandbox: email.emailSandbox, secrets: [email.secretName] } : {}),
      }),
    );
  }

  /** The harness queue's name: the dead-letter index partition of its letters. */
  get queueName(): string {
    return queueNameOf(this.#harness.queueUrl);
  }

  /** Starts `npm run dlq -- ...args` (through the runner, as npm would). */
  spawn(args: string[]): ChildProcess {
    return spawn(process.execPath, ['tools/run-ts.js', 'tools/dlq/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, LOCAL_STACK_STATE_FILE: this.stateFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** Runs the CLI to its end (killed after `timeoutMs`). */
  run(args: string[], timeoutMs = 60_000): Promise<DlqRun> {
    const child = this.spawn(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    return new Promise((resolve) => {
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Dead-letters `body` into the harness's DLQ, indexed, as a consumer would. */
  seed(letter: Omit<DeadLetter, 'dlqUrl' | 'queue'>) {
    return sendToDeadLetterQueue(
      {
        sqs: this.#harness.sqs,
        dynamoDb: this.#harness.dynamoDb,
        tableName: tableName('state'),
        now: Date.now,
      },
      { ...letter, dlqUrl: this.#harness.dlqUrl, queue: this.queueName },
    );
  }

  close(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** Visible plus in-flight messages of a queue, as SQS counts them. */
export async function messageCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}
