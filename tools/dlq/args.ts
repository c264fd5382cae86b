import { parseArgs } from 'node:util';
import { HELP, type HelpTopic } from './output/help';

/** A bad command line: the CLI prints the message and exits with 2. */
export class UsageError extends Error {
  readonly exitCode = 2;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Where the commands act: the local stack (neither set) or a deployed stage. */
export interface TargetOptions {
  stage?: string;
  region?: string;
}

/** Which dead letters a replay moves: every given filter must match. */
export interface ReplayFilter {
  source?: string;
  eventType?: string;
  /** The dead letter's `reasonCode` (`redrive` for messages the queue's redrive moved there). */
  reasonCode?: string;
  /** ISO times, inclusive, compared with the time the message entered the DLQ. */
  since?: string;
  until?: string;
}

/** A parsed command line. */
export type Command =
  | { name: 'help'; text: string }
  | { name: 'list'; target: TargetOptions; queue?: string; json: boolean }
  | { name: 'show'; target: TargetOptions; queue: string; limit: number; json: boolean }
  | {
      name: 'replay';
      target: TargetOptions;
      queue: string;
      filter: ReplayFilter;
      ratePerSecond: number;
      dryRun: boolean;
      force: boolean;
      yes: boolean;
      visibilitySeconds: number;
    };

/** Replays per second when `--rate` is not given: gentle on a consumer that just recovered. */
export const DEFAULT_RATE = 10;
const MAX_RATE = 1000;

const COMMON = {
  stage: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const OPTIONS = {
  list: { ...COMMON, json: { type: 'boolean' } },
  show: { ...COMMON, json: { type: 'boolean' }, limit: { type: 'string' } },
  replay: {
    ...COMMON,
    source: { type: 'string' },
    type: { type: 'string' },
    reason: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    rate: { type: 'string' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    yes: { type: 'boolean', short: 'y' },
    visibility: { type: 'string' },
  },
} as const;

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `2026-05-01T10:00:00Z`, `2026-05-01`, or a span before `now` such as `90m`, `2h`, `3d`. */
export function parseTime(name: string, value: string, now: number): string {
  const span = DURATION.exec(value);
  if (span) {
    const unit = span[2] as keyof typeof UNIT_MS;
    return new Date(now - Number(span[1]) * UNIT_MS[unit]).toISOString();
  }
  const time = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(time)) {
    throw new UsageError(
      `--${name} must be an ISO time (2026-05-01T10:00:00Z) or a span ago (30m, 2h, 3d), got "${value}"`,
    );
  }
  return new Date(time).toISOString();
}

/** `--rate 25` or `--rate 25/s`: messages per second, more than 0 and at most 1000. */
export function parseRate(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(?:\/s)?$/.exec(value);
  const rate = match ? Number(match[1]) : Number.NaN;
  if (!(rate > 0 && rate <= MAX_RATE)) {
    throw new UsageError(
      `--rate must be a number of messages per second (0 < N <= ${MAX_RATE}), e.g. 10/s; got "${value}"`,
    );
  }
  return rate;
}

function parseCount(name: string, value: string | undefined, fallback: number, max: number) {
  if (value === undefined) return fallback;
  const count = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1 && count <= max)) {
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got "${value}"`);
  }
  return count;
}

function targetOf(values: { stage?: string; region?: string }, env: NodeJS.ProcessEnv) {
  if (values.stage === undefined) {
    if (values.region !== undefined) throw new UsageError('--region needs --stage');
    return {};
  }
  if (!/^[a-zA-Z0-9-]+$/.test(values.stage)) {
    throw new UsageError(`--stage must be a stage name such as prod, got "${values.stage}"`);
  }
  const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('--stage needs --region (or AWS_REGION)');
  return { stage: values.stage, region };
}

function parseCommandLine(command: keyof typeof OPTIONS, args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS[command], allowPositionals: true, strict: true });
  } catch (error) {
    // parseArgs says what was wrong (`Unknown option '--x'`); that is the message the user needs.
    throw new UsageError((error as Error).message);
  }
}

/**
 * Parses `dlq <command> ...` (the arguments after `npm run dlq --`). Throws {@link UsageError} for
 * anything it cannot use; `--help` anywhere answers that command's help.
 */
export function parseCommand(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  now = Date.now(),
): Command {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    return { name: 'help', text: HELP.main };
  }
  if (!(command in OPTIONS)) {
    throw new UsageError(`Unknown command "${command}": use list, show or replay`);
  }
  const name = command as HelpTopic;
  const { values, positionals } = parseCommandLine(name, args);
  if (values.help) return { name: 'help', text: HELP[name] };
  const target = targetOf(values, env);
  const [queue, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0]}"`);
  if (name === 'list') {
    return { name, target, queue, json: (values as { json?: boolean }).json === true };
  }
  if (queue === undefined) throw new UsageError(`${name} needs a queue, e.g. email-jobs`);
  if (name === 'show') {
    const v = values as { limit?: string; json?: boolean };
    return {
      name,
      target,
      queue,
      limit: parseCount('limit', v.limit, 20, 1000),
      json: v.json === true,
    };
  }
  const v = values as {
    source?: string;
    type?: string;
    reason?: string;
    since?: string;
    until?: string;
    rate?: string;
    'dry-run'?: boolean;
    force?: boolean;
    yes?: boolean;
    visibility?: string;
  };
  const filter: ReplayFilter = {
    source: v.source,
    eventType: v.type,
    reasonCode: v.reason,
    since: v.since === undefined ? undefined : parseTime('since', v.since, now),
    until: v.until === undefined ? undefined : parseTime('until', v.until, now),
  };
  if (filter.since && filter.until && filter.since > filter.until) {
    throw new UsageError('--since is after --until');
  }
  const dryRun = v['dry-run'] === true;
  const force = v.force === true;
  if (force && dryRun) throw new UsageError('--force and --dry-run exclude each other');
  return {
    name,
    target,
    queue,
    filter,
    ratePerSecond: v.rate === undefined ? DEFAULT_RATE : parseRate(v.rate),
    dryRun,
    force,
    yes: v.yes === true,
    visibilitySeconds: parseCount('visibility', v.visibility, 60, 43_200),
  };
}
