import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { loadTimeoutSettings, sdkClientOptions } from '../../shared/clients/options';
import { type TargetOptions, UsageError } from './args';

/** A job queue and its DLQ, as the commands use them. */
export interface DlqQueue {
  /** `email-jobs`, `workflow-jobs`. */
  short: string;
  /** The job ledger's scope of its consumer. */
  scope: 'email' | 'workflow';
  /** The source queue's name: the dead-letter index's partition. */
  name: string;
  url: string;
  dlqName: string;
  dlqUrl: string;
}

/** Where the commands act: clients, the state table and the queues. */
export interface Target {
  description: string;
  sqs: SQSClient;
  dynamoDb: DynamoDBClient;
  tableName: string;
  queues: DlqQueue[];
  /** The email provider, asked before an ambiguous email job is replayed (docs/dead-letters.md). */
  emailProvider?: EmailProviderAccess;
  close(): void;
}

/** Where the email provider is, and how to read its token (from Secrets Manager, never printed). */
export interface EmailProviderAccess {
  baseUrl: string;
  secretsManager: SecretsManagerClient;
  secretName: string;
}

/** No stack to act on (not a usage mistake): exit code 1. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The job queues, by their logical ids in `resources/queues.yml`. */
const KNOWN = [
  { short: 'email-jobs', scope: 'email', queueId: 'EmailJobsQueue', dlqId: 'EmailJobsDlq' },
  {
    short: 'workflow-jobs',
    scope: 'workflow',
    queueId: 'WorkflowJobsQueue',
    dlqId: 'WorkflowJobsDlq',
  },
] as const;

/** The part of the local stack's state file (local/stack/stack-report.js) the commands read. */
interface LocalState {
  pid: number;
  region: string;
  sqs: string;
  dynamodb: string;
  queues: Record<string, { name: string; url: string }>;
  tables: Record<string, { name: string }>;
  secretsManager?: string;
  emailSandbox?: string;
  secrets?: string[];
}

/** The state file `npm run dev` writes (LOCAL_STACK_STATE_FILE overrides it). */
export function localStateFile(env: NodeJS.ProcessEnv, cwd: string): string {
  return path.resolve(
    cwd,
    env.LOCAL_STACK_STATE_FILE ?? path.join('.local-state', 'dev-stack.json'),
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLocalState(file: string): LocalState {
  const hint = 'Start it with `npm run dev`, or pass --stage and --region for a deployed stage.';
  if (!existsSync(file)) throw new TargetError(`No local stack is running (no ${file}). ${hint}`);
  const state = JSON.parse(readFileSync(file, 'utf8')) as LocalState;
  if (!isRunning(state.pid)) {
    throw new TargetError(
      `No local stack is running (process ${state.pid} of ${file} is gone). ${hint}`,
    );
  }
  return state;
}

function clients(region: string, env: NodeJS.ProcessEnv) {
  // Bounded calls, as everywhere in the suite, but with room for a loaded laptop or a far region
  // (no Lambda deadline here); the suite's variables still override them.
  const settings = loadTimeoutSettings({
    AWS_CLIENT_REQUEST_TIMEOUT_MS: '10000',
    AWS_CLIENT_MAX_ATTEMPTS: '3',
    ...env,
  });
  const options = { region, ...sdkClientOptions(settings) };
  return {
    sqs: new SQSClient(options),
    dynamoDb: new DynamoDBClient(options),
    secretsManager: new SecretsManagerClient(options),
  };
}

function openLocal(env: NodeJS.ProcessEnv, cwd: string): Target {
  const file = localStateFile(env, cwd);
  const state = readLocalState(file);
  // As the handlers of the local stage do: the SDK finds the local servers through these.
  Object.assign(env, {
    AWS_ENDPOINT_URL_SQS: state.sqs,
    AWS_ENDPOINT_URL_DYNAMODB: state.dynamodb,
    ...(state.secretsManager ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: state.secretsManager } : {}),
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  delete env.AWS_SESSION_TOKEN;
  delete env.AWS_PROFILE;
  const queues: DlqQueue[] = [];
  for (const known of KNOWN) {
    const queue = state.queues[known.queueId];
    const dlq = state.queues[known.dlqId];
    if (!queue || !dlq) continue;
    queues.push({
      short: known.short,
      scope: known.scope,
      name: queue.name,
      url: queue.url,
      dlqName: dlq.name,
      dlqUrl: dlq.url,
    });
  }
  const table = state.tables.StateTable;
  if (!table) throw new TargetError(`The local stack of ${file} has no StateTable`);
  const { sqs, dynamoDb, secretsManager } = clients(state.region, env);
  const secretName = state.secrets?.find((name) => name.endsWith('/providers/email'));
  return {
    description: `local stack (${path.basename(file)})`,
    sqs,
    dynamoDb,
    tableName: table.name,
    queues,
    ...(state.emailSandbox && secretName
      ? { emailProvider: { baseUrl: state.emailSandbox, secretsManager, secretName } }
      : {}),
    close() {
      sqs.destroy();
      dynamoDb.destroy();
      secretsManager.destroy();
    },
  };
}

async function openStage(stage: string, region: string, env: NodeJS.ProcessEnv): Promise<Target> {
  // serverless.yml custom.names: connector-suite-<stage>-<name>, `-dlq` for the dead-letter queue.
  const prefix = `connector-suite-${stage}`;
  const { sqs, dynamoDb, secretsManager } = clients(region, env);
  const urlOf = async (name: string) => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    if (!QueueUrl) throw new TargetError(`Queue ${name} has no URL in ${region}`);
    return QueueUrl;
  };
  const queues = await Promise.all(
    KNOWN.map(async (known) => {
      const name = `${prefix}-${known.short}`;
      const dlqName = `${name}-dlq`;
      const [url, dlqUrl] = await Promise.all([urlOf(name), urlOf(dlqName)]);
      return { short: known.short, scope: known.scope, name, url, dlqName, dlqUrl };
    }),
  );
  return {
    description: `stage ${stage} in ${region}`,
    sqs,
    dynamoDb,
    tableName: `${prefix}-state`,
    queues,
    // As the stage's params say by default (serverless.yml): EMAIL_API_URL and SECRETS_PREFIX override.
    emailProvider: {
      baseUrl: env.EMAIL_API_URL ?? 'https://api.postmarkapp.com',
      secretsManager,
      secretName: `${env.SECRETS_PREFIX ?? `connector-suite/${stage}`}/providers/email`,
    },
    close() {
      sqs.destroy();
      dynamoDb.destroy();
      secretsManager.destroy();
    },
  };
}

/** Opens the local stack, or the deployed stage named by `--stage` and `--region`. */
export function openTarget(
  options: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): Promise<Target> {
  if (options.stage && options.region) return openStage(options.stage, options.region, env);
  return Promise.resolve(openLocal(env, cwd));
}

/** The queue named `name`: short (`email-jobs`), or the full name of the queue or of its DLQ. */
export function pickQueue(queues: readonly DlqQueue[], name: string): DlqQueue {
  const queue = queues.find((q) => [q.short, q.name, q.dlqName].includes(name));
  if (!queue) {
    const known = queues.map((q) => q.short).join(', ') || 'none';
    throw new UsageError(`Unknown queue "${name}": use one of ${known}`);
  }
  return queue;
}
