import os from 'node:os';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadTimeoutSettings, sdkClientOptions } from '../../shared/clients/options';
import { pauseKey, resumeProviderPause } from '../../shared/email/provider-pause';
import type { ResumeNote } from '../../shared/state/resume';
import { terminalText } from '../../shared/text/unsafe-characters';
import { resumeBreaker } from '../../shared/workflow/breaker/resume';
import { breakerKey } from '../../shared/workflow/breaker/types';
import { type TargetOptions, UsageError } from '../dlq/args';
import { openTarget } from '../dlq/target';

const HELP = `Usage: npm run resume -- <workflow|email> --reason "<why>" [options]

Ends a refusal's cool-down now: the workflow circuit breaker (or the email provider pause) goes
half-open and the next call is one trial. Jobs held for it come back within the hold re-check
period (WORKFLOW_HOLD_RECHECK_SECONDS / EMAIL_HOLD_RECHECK_SECONDS, 20 s by default). If the trial
is refused again, the breaker or pause closes over them once more.

Options:
  --reason TEXT     why (required): recorded in the state item and shown on /status
  --by NAME         who (default: the operating-system user)
  --engine NAME     the engine's breaker (default: n8n, WORKFLOW_ENGINE_NAME of the stage)
  --account NAME    the provider account's pause (default: postmark, EMAIL_PROVIDER_ACCOUNT)
  --stage NAME      a deployed stage (with --region or AWS_REGION); without it, the local stack
  --region NAME
  -h, --help
`;

/** Where a resume writes: the state table and a DynamoDB client. */
interface ResumeTarget {
  description: string;
  dynamoDb: DynamoDBClient;
  tableName: string;
  close(): void;
}

/**
 * The local stack (as `npm run dlq` finds it), or a stage's state table by its name
 * (`connector-suite-<stage>-state`): only `dynamodb:UpdateItem` on it is needed, no queue lookup.
 */
async function openResumeTarget(
  options: TargetOptions,
  env: NodeJS.ProcessEnv,
): Promise<ResumeTarget> {
  if (!options.stage || !options.region) return openTarget({}, env);
  const settings = loadTimeoutSettings({
    AWS_CLIENT_REQUEST_TIMEOUT_MS: '10000',
    AWS_CLIENT_MAX_ATTEMPTS: '3',
    ...env,
  });
  const dynamoDb = new DynamoDBClient({ region: options.region, ...sdkClientOptions(settings) });
  return {
    description: `stage ${options.stage} in ${options.region}`,
    dynamoDb,
    tableName: `connector-suite-${options.stage}-state`,
    close: () => dynamoDb.destroy(),
  };
}

/** A parsed command line. */
export type ResumeCommand =
  | { name: 'help' }
  | {
      name: 'resume';
      what: 'workflow' | 'email';
      note: ResumeNote;
      engine: string;
      account: string;
      target: TargetOptions;
    };

/** Parses `resume <workflow|email> --reason ...`; throws {@link UsageError} for what it cannot use. */
export function parseResume(argv: readonly string[], env: NodeJS.ProcessEnv): ResumeCommand {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) return { name: 'help' };
  const [what, ...extra] = positionals;
  if (what !== 'workflow' && what !== 'email') {
    throw new UsageError(`Resume "workflow" or "email", not "${what}"`);
  }
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
  const reason = values.reason?.trim();
  if (!reason) throw new UsageError('--reason is required: say why, it is shown on /status');
  const by = values.by?.trim() || env.USER || safeUserName();
  if (values.region !== undefined && values.stage === undefined) {
    throw new UsageError('--region needs --stage');
  }
  const target: TargetOptions = {};
  if (values.stage !== undefined) {
    if (!/^[a-zA-Z0-9-]+$/.test(values.stage)) {
      throw new UsageError(`--stage must be a stage name such as prod, got "${values.stage}"`);
    }
    const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('--stage needs --region (or AWS_REGION)');
    Object.assign(target, { stage: values.stage, region });
  }
  return {
    name: 'resume',
    what,
    note: { via: 'command', by, reason },
    engine: values.engine ?? 'n8n',
    account: values.account ?? 'postmark',
    target,
  };
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      reason: { type: 'string' },
      by: { type: 'string' },
      engine: { type: 'string' },
      account: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown operator';
  }
}

/**
 * `npm run resume -- workflow|email --reason "..."`: resolves to the exit code (0 resumed or nothing
 * to resume, 1 no stack or a failed write, 2 a usage mistake).
 */
export async function main(
  argv: readonly string[],
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const print = (text: string) => io.stdout.write(`${terminalText(text)}\n`);
  let command: ResumeCommand;
  try {
    command = parseResume(argv, env);
  } catch (error) {
    io.stderr.write(`${terminalText((error as Error).message)}\n\n${HELP}`);
    return 2;
  }
  if (command.name === 'help') {
    io.stdout.write(HELP);
    return 0;
  }
  let target: ResumeTarget;
  try {
    target = await openResumeTarget(command.target, env);
  } catch (error) {
    // No stack to act on (TargetError), or a stage that cannot be reached: exit 1 either way.
    io.stderr.write(`${terminalText((error as Error).message)}\n`);
    return 1;
  }
  try {
    const documents = DynamoDBDocumentClient.from(target.dynamoDb);
    const now = Date.now();
    if (command.what === 'workflow') {
      const resumed = await resumeBreaker(
        { documents, tableName: target.tableName, pk: breakerKey(command.engine).pk, now },
        command.note,
      );
      print(
        resumed
          ? `Resumed the workflow circuit breaker of engine ${command.engine} on the ${target.description}: the next call is one trial.`
          : `The workflow circuit breaker of engine ${command.engine} is not open on the ${target.description}: nothing to resume.`,
      );
    } else {
      const resumed = await resumeProviderPause(
        { documents, tableName: target.tableName, key: pauseKey(command.account), now },
        command.note,
      );
      print(
        resumed
          ? `Lifted the pause of email provider account ${command.account} on the ${target.description}: the next call is one trial.`
          : `Email provider account ${command.account} is not paused on the ${target.description}: nothing to resume.`,
      );
    }
    return 0;
  } catch (error) {
    io.stderr.write(`resume failed: ${terminalText(String(error))}\n`);
    return 1;
  } finally {
    target.close();
  }
}
