import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pickFreePort } from '../../local/stack/ports';
import { runTrace } from '../../tools/trace/trace';
import { localSecret } from '../helpers/ingest/ingest-harness';
import { sample, signed } from '../helpers/ingest/webhook-requests';
import type { LocalStackState } from '../helpers/stack/local-stack';
import { type OfflineRun, startOffline } from '../helpers/stack/offline-stack';

// A stack of its own: the sandbox engine's faults apply to whatever call comes next, and the shared
// stack's engine serves other tests at the same time.
jest.setTimeout(150_000);

const root = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Line = Record<string, unknown>;
type Trace = { lines: Line[]; outcomes: { jobId: string; outcome: string }[] };

/** `npm run trace -- <id> --json` on the stack's log file. */
function trace(state: LocalStackState, correlationId: string): Trace {
  const { stdout } = runTrace([correlationId, '--json', '--log-file', String(state.logFile)]);
  return JSON.parse(stdout) as Trace;
}

describe('npm run trace', () => {
  let stack: OfflineRun | undefined;
  let state: LocalStackState;

  beforeAll(async () => {
    stack = await startOffline({
      LOCAL_EMAIL_PORT: String(await pickFreePort()),
      LOCAL_WORKFLOW_PORT: String(await pickFreePort()),
      // Its log file beside its own state file, whatever the developer's environment says.
      LOCAL_LOG_FILE: '',
    });
    state = await stack.ready(90_000);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows every hop, in order, of a webhook whose workflow call failed once and was retried', async () => {
    expect(state.logFile).toBeDefined();
    const correlationId = `trace-e2e-${randomUUID().slice(0, 8)}`;
    await fetch(`${state.workflowSandbox}/sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 500, times: 1 }),
      signal: AbortSignal.timeout(5000),
    });
    const request = signed(
      { scheme: 'stripe' },
      sample('stripe', { fresh: true }),
      localSecret('stripe'),
    );
    request.headers['X-Correlation-Id'] = correlationId;

    const response = await fetch(`${state.http}/webhooks/stripe`, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(15_000),
    });
    expect(response.status).toBe(202);

    // Bounded wait until the retried job is triggered and its second message deleted.
    let result = trace(state, correlationId);
    const deletions = (lines: Line[]) =>
      lines.filter((line) => line.message === 'sqs message settled' && line.result === 'deleted');
    for (let waited = 0; waited < 60_000; waited += 250) {
      if (deletions(result.lines).length >= 2) break;
      await sleep(250);
      result = trace(state, correlationId);
    }

    const steps = result.lines.map((line) => {
      switch (line.message) {
        case 'webhook accepted':
          return 'accepted';
        case 'sqs message delivered':
          return `delivered:${line.messageId}`;
        case 'sqs message settled':
          return `${line.result}:${line.messageId}`;
        case 'workflow job claimed':
          return `claimed:${line.attempt}`;
        case 'engine call':
          return `engine:${line.status}`;
        case 'workflow job':
          return `${line.outcome}`;
        default:
          return `other:${line.message}`;
      }
    });
    const accepted = result.lines.find((line) => line.message === 'webhook accepted');
    const first = (accepted?.queued as { messageId: string }[] | undefined)?.[0]?.messageId;
    const delivered = result.lines.filter((line) => line.message === 'sqs message delivered');
    const second = delivered[1]?.messageId;
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const expected = [
      'accepted',
      `delivered:${first}`,
      'claimed:1',
      'engine:500',
      'retried',
      `deleted:${first}`,
      `delivered:${second}`,
      'claimed:2',
      'engine:200',
      'triggered',
      `deleted:${second}`,
    ];
    const positions = expected.map((step) => steps.indexOf(step));
    expect(positions).not.toContain(-1);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const retried = result.lines.find((line) => line.outcome === 'retried');
    expect(retried).toMatchObject({ attempts: 1, status: 500 });
    expect(Number(retried?.delaySeconds)).toBeGreaterThan(0);
    expect(result.outcomes).toEqual([
      expect.objectContaining({
        jobId: expect.stringMatching(/^stripe:.*:workflow:payments$/),
        outcome: 'triggered',
      }),
    ]);

    // The command itself, as `npm run trace` runs it: the path in words, exit code 0.
    const text = execFileSync(
      process.execPath,
      [
        path.join(root, 'tools', 'trace', 'trace.js'),
        correlationId,
        '--log-file',
        String(state.logFile),
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000 },
    );
    expect(text).toMatch(/engine answered 500 in \d+ ms \(attempt 1: retry\)/);
    expect(text).toMatch(/attempt 1 of job stripe:\S+ failed \(500\): retry in \d+ s/);
    expect(text).toMatch(/engine answered 200 in \d+ ms \(attempt 2: triggered\)/);
    expect(text).toMatch(/Outcome:\n {2}stripe:\S+:workflow:payments: triggered \(exec-/);
  });
});
