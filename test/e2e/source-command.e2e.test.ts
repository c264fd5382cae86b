import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sign } from '../../tools/send/signers';
import type { LocalStackState } from '../helpers/stack/local-stack';
import { type OfflineRun, startOffline } from '../helpers/stack/offline-stack';
import { waitFor } from '../helpers/wait';

// Adds a source with `npm run source -- add` to copies of the test catalog and seed, starts a local
// stack of its own on them (as `npm run dev` would after the restart the command asks for), and sends
// the new source a signed event with `npm run send`. Its route names a workflow the command refuses
// until the registry (a copy, in WORKFLOWS_FILE) has it.

const root = path.resolve(__dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'source-command-e2e-'));
const files = {
  SOURCES_FILE: path.join(dir, 'sources.json'),
  LOCAL_SECRETS_FILE: path.join(dir, 'secrets.json'),
  WORKFLOWS_FILE: path.join(dir, 'workflows.json'),
};
const env = { ...process.env, ...files };

/** Runs a script of tools/ the way its npm script does, returning what it printed. */
const script = (file: string, ...args: string[]) =>
  execFileSync(process.execPath, [path.join(root, 'tools', file), ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });

describe('a source added with npm run source -- add', () => {
  let stack: OfflineRun | undefined;
  let state: LocalStackState;
  let refusal: string;

  beforeAll(async () => {
    copyFileSync(path.join(root, 'test/fixtures/sources.json'), files.SOURCES_FILE);
    copyFileSync(path.join(root, 'test/fixtures/secrets.json'), files.LOCAL_SECRETS_FILE);
    copyFileSync(path.join(root, 'config/workflows.json'), files.WORKFLOWS_FILE);
    const add = ['add', 'acme', '--scheme', 'standard', '--route', '*=workflow:acme'];
    try {
      script('source/source.js', ...add);
      refusal = 'added';
    } catch (error) {
      refusal = String((error as { stderr?: string }).stderr);
    }
    const registry = JSON.parse(readFileSync(files.WORKFLOWS_FILE, 'utf8'));
    registry.local.workflows.acme = 'webhook/acme-events';
    writeFileSync(files.WORKFLOWS_FILE, JSON.stringify(registry));
    script('source/source.js', ...add);
    // The shell's MAX_BODY_BYTES reaches the function: checked below with a body over it.
    stack = await startOffline({ ...files, MAX_BODY_BYTES: '2000' });
    state = await stack.ready(120_000);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 20_000);

  it('refuses a route to a workflow the registry lacks, then adds it once registered', () => {
    expect(refusal).toMatch(/names workflow "acme", which .* does not register/);
  });

  it('accepts its signed sample with 202 and the engine runs the routed workflow', async () => {
    const sample = path.join('events', 'webhooks', 'standard.json');

    const printed = script('send/send.js', 'acme', sample, '--fresh', `--url=${state.http}`);

    expect(printed).toMatch(/^202 /m);
    const { eventId } = JSON.parse(printed.slice(printed.indexOf('{'))) as { eventId: string };
    type Call = { path: string; status: number; body: { source?: string; eventId?: string } };
    let call: Call | undefined;
    await waitFor(
      `the engine's call for event ${eventId}`,
      async () => {
        const response = await fetch(`${state.workflowSandbox}/sandbox/calls`, {
          signal: AbortSignal.timeout(5000),
        });
        const { calls } = (await response.json()) as { calls: Call[] };
        call = calls.find((c) => c.body?.eventId === eventId && c.status === 200);
        return call !== undefined;
      },
      20_000,
      200,
    );
    expect(call).toMatchObject({ path: 'webhook/acme-events', body: { source: 'acme', eventId } });
  }, 30_000);

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
