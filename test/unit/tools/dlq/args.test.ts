import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { DEFAULT_RATE, parseCommand, UsageError } from '../../../../tools/dlq/args';

const NOW = Date.parse('2026-05-01T12:00:00Z');
const parse = (...argv: string[]) => parseCommand(argv, {}, NOW);

function usageError(argv: string[]): UsageError {
  try {
    parseCommand(argv, {}, NOW);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
}

describe('dlq argument parsing', () => {
  it('answers help for no command, --help, and --help on every command', () => {
    expect(parse()).toMatchObject({ name: 'help' });
    expect(parse('--help')).toMatchObject({ name: 'help' });
    for (const command of ['list', 'show', 'replay']) {
      const help = parse(command, '--help');
      expect(help).toMatchObject({ name: 'help' });
      expect((help as { text: string }).text).toContain(`npm run dlq -- ${command}`);
    }
  });

  it('reads a replay with every filter, a rate and a relative time', () => {
    const command = parse(
      'replay',
      'email-jobs',
      '--source',
      'stripe',
      '--type',
      'invoice.paid',
      '--reason',
      'attempts-exhausted',
      '--since',
      '2h',
      '--until',
      '2026-05-01T11:30:00Z',
      '--rate',
      '25/s',
      '--dry-run',
    );
    expect(command).toMatchObject({
      name: 'replay',
      queue: 'email-jobs',
      filter: {
        source: 'stripe',
        eventType: 'invoice.paid',
        reasonCode: 'attempts-exhausted',
        since: '2026-05-01T10:00:00.000Z',
        until: '2026-05-01T11:30:00.000Z',
      },
      ratePerSecond: 25,
      dryRun: true,
      force: false,
      target: {},
    });
  });

  it('uses the default rate and the local stack when nothing is said', () => {
    expect(parse('replay', 'workflow-jobs')).toMatchObject({
      ratePerSecond: DEFAULT_RATE,
      target: {},
    });
    expect(parse('show', 'email-jobs')).toMatchObject({ limit: 20 });
  });

  it('takes a stage with its region, from the flag or AWS_REGION', () => {
    expect(parse('list', '--stage', 'prod', '--region', 'eu-west-1')).toMatchObject({
      target: { stage: 'prod', region: 'eu-west-1' },
    });
    expect(parseCommand(['list', '--stage', 'prod'], { AWS_REGION: 'us-east-2' })).toMatchObject({
      target: { stage: 'prod', region: 'us-east-2' },
    });
  });

  it.each([
    [['purge'], /Unknown command "purge"/],
    [['list', '--bogus'], /Unknown option '--bogus'/],
    [['show'], /show needs a queue/],
    [['show', 'email-jobs', '--limit', '0'], /--limit must be a whole number/],
    [['replay', 'email-jobs', '--rate', 'fast'], /--rate must be/],
    [['replay', 'email-jobs', '--rate', '5000'], /--rate must be/],
    [['replay', 'email-jobs', '--since', 'yesterday'], /--since must be an ISO time/],
    [['replay', 'email-jobs', '--since', '1h', '--until', '2h'], /--since is after --until/],
    [['replay', 'email-jobs', '--force', '--dry-run'], /exclude each other/],
    [['replay', 'email-jobs', 'extra'], /Unexpected argument "extra"/],
    [['list', '--region', 'eu-west-1'], /--region needs --stage/],
    [['list', '--stage', 'prod'], /--stage needs --region/],
    [['list', '--stage', 'a/b', '--region', 'x'], /--stage must be a stage name/],
  ])('rejects %j with exit code 2', (argv, message) => {
    const error = usageError(argv);
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(2);
  });
});

describe('dlq command line', () => {
  const root = path.resolve(__dirname, '..', '..', '..', '..');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['tools/run-ts.js', 'tools/dlq/cli.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, LOCAL_STACK_STATE_FILE: path.join(root, 'no-such-stack.json') },
    });

  it('exits 2 with a clear message on a bad argument', () => {
    const result = run('replay', 'email-jobs', '--rate', '-1');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('dlq:');
    expect(result.stderr).toContain('npm run dlq -- --help');
  });

  it('refuses --force without --yes when it cannot ask, with exit code 2', () => {
    const result = run('replay', 'email-jobs', '--force');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('add --yes');
  });

  it('exits 1 and says how to start one when no local stack runs', () => {
    const result = run('list');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('No local stack is running');
  });
});
