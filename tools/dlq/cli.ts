import { createInterface } from 'node:readline/promises';
import { JobLedger } from '../../shared/ledger/job-ledger';
import { terminalJson, terminalText } from '../../shared/text/unsafe-characters';
import { type Command, parseCommand, UsageError } from './args';
import { countDeadLetters, showDeadLetters } from './inspect';
import { formatCountsReport, formatReplay, formatShown } from './output/format';
import type { ProgressStream } from './output/progress';
import { emailReconciler } from './provider';
import { replayDeadLetters } from './replay';
import { openTarget, pickQueue, type Target, TargetError } from './target';

/** The process around the CLI, replaceable in tests. */
export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  /** Whether the operator can be asked (stdin is a terminal). */
  interactive: boolean;
  confirm: (question: string) => Promise<boolean>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  interactive: process.stdin.isTTY === true,
  confirm: askOnTerminal,
  env: process.env,
  cwd: process.cwd(),
});

/** A Ctrl-C during a replay lets the messages in flight finish and releases the rest. */
function interruptible() {
  let stopped = false;
  const onSignal = () => {
    if (stopped) process.exit(130);
    stopped = true;
    process.stderr.write(
      '\ninterrupted: finishing the messages in flight (Ctrl-C again to quit)\n',
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    stopped: () => stopped,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function run(command: Exclude<Command, { name: 'help' }>, target: Target, io: CliIo) {
  const print = (text: string) => io.stdout.write(`${text}\n`);
  if (command.name === 'list') {
    const queues = command.queue ? [pickQueue(target.queues, command.queue)] : target.queues;
    const counts = await Promise.all(queues.map((queue) => countDeadLetters(target, queue)));
    print(command.json ? terminalJson(counts) : terminalText(formatCountsReport(counts)));
    return 0;
  }
  const queue = pickQueue(target.queues, command.queue);
  if (command.name === 'show') {
    const letters = await showDeadLetters(target, queue, command.limit);
    print(command.json ? terminalJson(letters) : terminalText(formatShown(queue.short, letters)));
    return 0;
  }
  const ledger = new JobLedger({
    client: target.dynamoDb,
    tableName: target.tableName,
    scope: queue.scope,
    keepSeconds: 0,
    now: Date.now,
  });
  const signals = interruptible();
  try {
    const summary = await replayDeadLetters(
      {
        sqs: target.sqs,
        dynamoDb: target.dynamoDb,
        tableName: target.tableName,
        queue,
        ledger,
        ...(queue.scope === 'email' && target.emailProvider
          ? { reconciler: emailReconciler(target.emailProvider, io.env) }
          : {}),
        progress: io.stderr,
        confirm: io.confirm,
        stopped: signals.stopped,
      },
      command,
    );
    print(terminalText(formatReplay(summary, command.dryRun)));
    return summary.failed > 0 || summary.skipped > 0 || summary.refusedTooOld > 0 ? 1 : 0;
  } finally {
    signals.dispose();
  }
}

/**
 * `npm run dlq -- <command> ...`: resolves to the exit code (0 done, 1 failed or not all replayed,
 * 2 bad arguments).
 */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  let target: Target | undefined;
  try {
    const command = parseCommand(args, io.env);
    if (command.name === 'help') {
      io.stdout.write(`${command.text}\n`);
      return 0;
    }
    if (command.name === 'replay' && command.force && !command.yes && !io.interactive) {
      throw new UsageError('--force asks for confirmation: without a terminal, add --yes');
    }
    target = await openTarget(command.target, io.env, io.cwd);
    io.stderr.write(`dlq: ${target.description}\n`);
    return await run(command, target, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`dlq: ${error.message}\nRun \`npm run dlq -- --help\` for usage.\n`);
      return error.exitCode;
    }
    if (error instanceof TargetError) {
      io.stderr.write(`dlq: ${error.message}\n`);
      return 1;
    }
    // An AWS error (credentials, permissions, a queue that is not there) says enough by its message.
    io.stderr.write(`dlq: ${error instanceof Error ? `${error.name}: ${error.message}` : error}\n`);
    return 1;
  } finally {
    target?.close();
  }
}
