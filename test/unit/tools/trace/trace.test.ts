import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTraceArgs, TRACE_EXIT, UsageError } from '../../../../tools/trace/args';
import { describeLine, formatTrace } from '../../../../tools/trace/format';
import { insightsPlan } from '../../../../tools/trace/insights';
import { jobOutcomes, parseLogLines, selectEvent } from '../../../../tools/trace/select';
import { runTrace } from '../../../../tools/trace/trace';

const at = (second: number) => `2026-01-01T10:00:${String(second).padStart(2, '0')}.000Z`;
const JOB = 'stripe:evt_1:workflow:payments';

/** One event's lines as the local stack writes them, shuffled, with another event's line between. */
const LINES = [
  {
    timestamp: at(3),
    level: 'INFO',
    message: 'engine call',
    service: 'workflow-trigger',
    function_request_id: 'r1',
    jobId: JOB,
    correlationId: 'c-1',
    attempt: 1,
    result: 'retry',
    status: 500,
    latencyMs: 12,
  },
  {
    timestamp: at(0),
    level: 'INFO',
    message: 'webhook accepted',
    service: 'webhook-ingest',
    correlationId: 'c-1',
    eventId: 'evt_1',
    source: 'stripe',
    eventType: 'payment_intent.succeeded',
    routes: 1,
    queued: [{ queue: 'q-workflow', messageId: 'm-1', jobId: JOB }],
  },
  {
    timestamp: at(1),
    level: 'INFO',
    message: 'sqs message delivered',
    service: 'local-sqs-event-source',
    queue: 'q-workflow',
    function: 'workflow-trigger',
    messageId: 'm-1',
    correlationId: 'c-1',
    receiveCount: 1,
    batchSize: 2,
    jobId: JOB,
  },
  {
    timestamp: at(2),
    level: 'INFO',
    message: 'sqs batch',
    service: 'workflow-trigger',
    function_request_id: 'r1',
    records: 2,
    correlationIds: ['c-1', 'c-2'],
  },
  {
    timestamp: at(2),
    level: 'INFO',
    message: 'workflow job claimed',
    service: 'workflow-trigger',
    function_request_id: 'r1',
    jobId: JOB,
    correlationId: 'c-1',
    attempt: 1,
    ambiguous: false,
  },
  {
    timestamp: at(2),
    level: 'INFO',
    message: 'workflow job',
    service: 'workflow-trigger',
    function_request_id: 'r1',
    jobId: 'other',
    correlationId: 'c-2',
    outcome: 'triggered',
  },
  {
    timestamp: at(3),
    level: 'WARN',
    message: 'workflow circuit breaker changed',
    service: 'workflow-trigger',
    function_request_id: 'r1',
    breakerState: 'open',
  },
  {
    timestamp: at(3),
    level: 'INFO',
    message: 'workflow job',
    service: 'workflow-trigger',
    function_request_id: 'r1',
    jobId: JOB,
    correlationId: 'c-1',
    outcome: 'retried',
    attempts: 1,
    status: 500,
    delaySeconds: 2,
  },
  {
    timestamp: at(6),
    level: 'INFO',
    message: 'workflow job',
    service: 'workflow-trigger',
    function_request_id: 'r2',
    jobId: JOB,
    correlationId: 'c-1',
    outcome: 'triggered',
    attempts: 2,
    executionId: 'exec-9',
  },
  {
    timestamp: at(4),
    level: 'INFO',
    message: 'sqs message settled',
    service: 'local-sqs-event-source',
    queue: 'q-workflow',
    messageId: 'm-1',
    correlationId: 'c-1',
    result: 'deleted',
  },
  {
    timestamp: at(7),
    level: 'INFO',
    message: 'health state changed',
    service: 'health-probe',
    function_request_id: 'r9',
  },
];
const TEXT = `${LINES.map((line) => JSON.stringify(line)).join('\n')}\nnot json\n{"cut short`;

describe('trace selection', () => {
  it('keeps the lines of one event in time order, with its batch lines, and no other event', () => {
    const lines = selectEvent(parseLogLines(TEXT), 'c-1');

    expect(lines.map((line) => line.message)).toEqual([
      'webhook accepted',
      'sqs message delivered',
      'sqs batch',
      'workflow job claimed',
      'engine call',
      'workflow circuit breaker changed',
      'workflow job',
      'sqs message settled',
      'workflow job',
    ]);
  });

  it('reports each job by its last outcome, and a routed job with none as in flight', () => {
    const lines = selectEvent(parseLogLines(TEXT), 'c-1');

    expect(jobOutcomes(lines)).toEqual([
      { jobId: JOB, outcome: 'triggered', detail: 'exec-9', at: at(6) },
    ]);
    expect(jobOutcomes(lines.slice(0, 3))).toEqual([{ jobId: JOB, outcome: 'in flight' }]);
  });
});

describe('trace format', () => {
  it('says what each hop did: queues, attempts, calls with status and latency, retries with delay', () => {
    const texts = selectEvent(parseLogLines(TEXT), 'c-1').map((line) => describeLine(line).text);

    expect(texts).toEqual([
      'accepted event evt_1 from stripe (payment_intent.succeeded): 1 route(s)',
      'q-workflow -> workflow-trigger: message m-1 delivered (receive #1, batch of 2)',
      'invoked with a batch of 2 record(s)',
      `attempt 1 of job ${JOB} claimed`,
      'engine answered 500 in 12 ms (attempt 1: retry)',
      'workflow circuit breaker changed breakerState=open',
      `attempt 1 of job ${JOB} failed (500): retry in 2 s`,
      'q-workflow: message m-1 done, deleted',
      `triggered job ${JOB} (execution exec-9, attempt 2)`,
    ]);
  });

  it('prints time, offset and actor per hop, the queued messages, warnings and the outcome', () => {
    const lines = selectEvent(parseLogLines(TEXT), 'c-1');

    const text = formatTrace({
      correlationId: 'c-1',
      source: 'logs.jsonl',
      lines,
      outcomes: jobOutcomes(lines),
    });

    expect(text).toContain('Correlation id c-1: 9 log lines from logs.jsonl');
    expect(text).toMatch(/10:00:00\.000 +\+0\.000s +webhook-ingest +accepted event evt_1/);
    expect(text).toMatch(
      / {4}queued on q-workflow as message m-1 \(job stripe:evt_1:workflow:payments\)/,
    );
    expect(text).toMatch(/10:00:01\.000 +\+1\.000s +sqs +q-workflow -> workflow-trigger/);
    expect(text).toContain('workflow circuit breaker changed breakerState=open [WARN]');
    expect(text.endsWith(`Outcome:\n  ${JOB}: triggered (exec-9)`)).toBe(true);
  });

  it('says so when no line carries the id', () => {
    expect(formatTrace({ correlationId: 'nope', source: 'f', lines: [], outcomes: [] })).toBe(
      'No log line in f carries correlation id nope.',
    );
  });

  it('describes email provider calls, deferrals and dead letters', () => {
    const describe = (line: Record<string, unknown>) => describeLine(line).text;

    expect(
      describe({ message: 'provider call', messages: 3, result: 'results', latencyMs: 40 }),
    ).toBe('provider call with 3 message(s): results in 40 ms');
    expect(
      describe({
        message: 'email job',
        jobId: 'j',
        outcome: 'deferred',
        delaySeconds: 10,
        reason: 'provider paused',
      }),
    ).toBe('job j deferred 10 s: provider paused');
    expect(
      describe({
        message: 'email job',
        jobId: 'j',
        outcome: 'dead-lettered',
        errorCode: 406,
        attempts: 1,
      }),
    ).toBe('dead-lettered job j: 406, attempt 1');
  });
});

describe('trace command line', () => {
  it.each([
    [[], 'Give the correlation id'],
    [['a', 'b'], 'One correlation id at a time'],
    [['bad id!'], 'is not a correlation id'],
    [['c-1', '--stage'], '--stage needs a value'],
    [['c-1', '--region', 'us-east-1'], '--region goes with --stage'],
    [['c-1', '--stage', 'prod', '--region', 'mars'], 'is not a region'],
    [['c-1', '--frobnicate'], 'Unknown option --frobnicate'],
    [['c-1', '--stage', 'prod', '--log-file', 'x'], 'not both'],
  ])('refuses %j with a clear message and exit code 2', (argv, message) => {
    expect(() => parseTraceArgs(argv)).toThrow(UsageError);
    const result = runTrace(argv);
    expect(result.code).toBe(TRACE_EXIT.usage);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: npm run trace');
  });

  it('prints its usage on --help', () => {
    expect(runTrace(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('--stage <stage>'),
    });
  });

  it('reads a log file and exits 1 when no line carries the id', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'trace-'));
    try {
      const file = path.join(dir, 'logs.jsonl');
      writeFileSync(file, TEXT);
      expect(runTrace(['c-1', '--log-file', file]).code).toBe(0);
      expect(JSON.parse(runTrace(['c-1', '--json', '--log-file', file]).stdout).lines).toHaveLength(
        9,
      );
      expect(runTrace(['c-404', '--log-file', file]).code).toBe(TRACE_EXIT.notFound);
      expect(runTrace(['c-1', '--log-file', path.join(dir, 'none.jsonl')])).toMatchObject({
        code: TRACE_EXIT.notFound,
        stderr: expect.stringContaining('No log file at'),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the Logs Insights query over every function of a deployed stage', () => {
    const result = runTrace(['c-1', '--stage', 'prod', '--region', 'eu-west-1']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('/aws/lambda/connector-suite-prod-webhook-ingest');
    expect(result.stdout).toContain('/aws/lambda/connector-suite-prod-email-batcher');
    expect(result.stdout).toContain('/aws/lambda/connector-suite-prod-workflow-trigger');
    expect(result.stdout).toContain('aws logs start-query --region eu-west-1');
    const plan = insightsPlan({
      correlationId: 'c-1',
      stage: 'dev',
      region: 'us-east-1',
      service: 's',
      functions: ['f'],
    });
    expect(plan.logGroups).toEqual(['/aws/lambda/s-dev-f']);
    expect(plan.query).toContain('filter correlationId = "c-1" or @message like "c-1"');
    expect(plan.query).toContain('sort @timestamp asc');
  });
});

describe('trace output of outside values', () => {
  // An engine's executionId, a provider's error, a webhook's event id: all reach the log.
  const hostile = 'evil\u001b[2J\u001b]0;title\u0007\r\nFAKE LINE\u009b1m\u202egnp.exe\u200b';
  const shown = 'evil\\x1b[2J\\x1b]0;title\\x07\\x0d\\x0aFAKE LINE\\x9b1m\\u202egnp.exe\\u200b';
  // Everything of the unsafe list but the line feed, which the text output keeps between its lines.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069]/u;
  const lines = [
    {
      timestamp: at(0),
      level: 'INFO',
      message: 'webhook accepted',
      service: 'webhook-ingest',
      correlationId: 'c-x',
      eventId: hostile,
      source: 'stripe',
      eventType: hostile,
      routes: 1,
      queued: [{ queue: 'q-workflow', messageId: hostile, jobId: JOB }],
    },
    {
      timestamp: at(1),
      level: 'WARN',
      message: 'engine call',
      service: 'workflow-trigger',
      correlationId: 'c-x',
      jobId: JOB,
      attempt: 1,
      latencyMs: 3,
      error: hostile,
    },
    {
      timestamp: at(2),
      level: 'ERROR',
      message: 'something new',
      service: hostile,
      correlationId: 'c-x',
      error: hostile,
      reason: { nested: hostile },
    },
    {
      timestamp: at(3),
      level: 'INFO',
      message: 'workflow job',
      service: 'workflow-trigger',
      correlationId: 'c-x',
      jobId: JOB,
      outcome: 'triggered',
      executionId: hostile,
      attempts: 1,
    },
  ];

  function traced(...extra: string[]) {
    const dir = mkdtempSync(path.join(tmpdir(), 'trace-hostile-'));
    try {
      const file = path.join(dir, 'logs.jsonl');
      writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n'));
      return runTrace(['c-x', '--log-file', file, ...extra]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('prints each value with control, bidirectional and zero-width characters made visible', () => {
    const { code, stdout } = traced();

    expect(code).toBe(TRACE_EXIT.ok);
    expect(stdout).not.toMatch(RAW);
    expect(stdout).toContain(`execution ${shown}`);
    expect(stdout).toContain(`got no answer in 3 ms: ${shown}`);
    expect(stdout).toContain(`as message ${shown}`);
    expect(stdout).toContain(`error=${shown}`);
    // A line break inside a value never starts a line of its own.
    expect(stdout.split('\n').filter((line) => line.startsWith('FAKE LINE'))).toEqual([]);
  });

  it('keeps --json valid JSON, the values intact behind \\uXXXX escapes', () => {
    const { stdout } = traced('--json');

    expect(stdout).not.toMatch(RAW);
    expect(JSON.parse(stdout).lines).toEqual(lines);
  });
});
