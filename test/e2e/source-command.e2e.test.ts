import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sign } from '../../local/signers';
import type { LocalStackState } from '../helpers/local-stack';
import { type OfflineRun, startOffline } from '../helpers/offline-stack';

// Adds a source with `npm run source -- add` to copies of the test catalog and seed, starts a local
// stack of its own on them (as `npm run dev` would after the restart the command asks for), and sends
// the new source a signed event with `npm run send`.

const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'source-command-e2e-'));
const files = {
  SOURCES_FILE: path.join(dir, 'sources.json'),
  LOCAL_SECRETS_FILE: path.join(dir, 'secrets.json'),
};
const env = { ...process.env, ...files };

/** Runs a script of local/ the way its npm script does, returning what it printed. */
const script = (file: string, ...args: string[]) =>
  execFileSync(process.execPath, [path.join(root, 'local', file), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    timeout: 30_000,
  });

/** Receives from a queue until a message matches (bounded). */
async function receiveMatching(sqs: SQSClient, queueUrl: string, match: (m: Message) => boolean) {
  for (let round = 0; round < 20; round += 1) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const found = Messages.find(match);
    if (found) return found;
  }
  return undefined;
}

describe('a source added with npm run source -- add', () => {
  let stack: OfflineRun | undefined;
  let state: LocalStackState;
  let sqs: SQSClient;

  beforeAll(async () => {
    copyFileSync(path.join(root, 'test/fixtures/sources.json'), files.SOURCES_FILE);
    copyFileSync(path.join(root, 'test/fixtures/secrets.json'), files.LOCAL_SECRETS_FILE);
    script(
      'source-command.js',
      'add',
      'acme',
      '--scheme',
      'standard',
      '--route',
      '*=workflow:acme',
    );
    // The shell's MAX_BODY_BYTES reaches the function: checked below with a body over it.
    stack = await startOffline({ ...files, MAX_BODY_BYTES: '2000' });
    state = await stack.ready(120_000);
    sqs = new SQSClient({
      endpoint: state.sqs,
      region: state.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
    });
  }, 180_000);

  afterAll(async () => {
    sqs?.destroy();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('accepts its signed sample with 202 and enqueues the routed workflow job', async () => {
    const sample = path.join('events', 'webhooks', 'standard.json');

    const printed = script('send.js', 'acme', sample, '--fresh', `--url=${state.http}`);

    expect(printed).toMatch(/^202 /m);
    const { eventId } = JSON.parse(printed.slice(printed.indexOf('{'))) as { eventId: string };
    // The workflow trigger consumes the queue; "acme" is in no workflow registry, so the job lands,
    // unchanged, in the DLQ as unknown-workflow.
    const queue = Object.values(state.queues).find((q) => q.name.endsWith('-workflow-jobs-dlq'));
    const message = await receiveMatching(sqs, queue?.url as string, (m) =>
      (m.Body ?? '').includes(eventId),
    );
    expect(message?.MessageAttributes?.source?.StringValue).toBe('acme');
    expect(JSON.parse(message?.Body ?? '{}')).toMatchObject({
      workflow: 'acme',
      input: { source: 'acme', eventId },
    });
  }, 20_000);

  it('takes MAX_BODY_BYTES from the shell that started it', async () => {
    const seed = JSON.parse(readFileSync(files.LOCAL_SECRETS_FILE, 'utf8'));
    const secret = seed['connector-suite/local/webhooks/acme'].current as string;
    const body = JSON.stringify({ type: 'user.created', padding: 'x'.repeat(2100) });

    const response = await fetch(`${state.http}/webhooks/acme`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...sign('standard', { body, secret }) },
      body,
      signal: AbortSignal.timeout(10_000),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ detail: expect.stringContaining('2000 bytes') });
  });
});
