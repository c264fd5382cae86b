import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pickFreePort } from '../../../local/stack/ports';
import type { LocalStackState } from './local-stack';

const root = path.resolve(__dirname, '../../..');
/** What `serverless offline start` needs of the project; node_modules is linked, not copied. */
const SERVICE_FILES = [
  'serverless.yml',
  'package.json',
  'tsconfig.json',
  'functions',
  'shared',
  'config',
  'local',
  'resources',
];

/** One `serverless offline start --stage local` of its own, as `npm run dev` runs it. */
export interface OfflineRun {
  /** What it printed so far, stdout and stderr (the last megabyte or so). */
  output: () => string;
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<number | string>;
  /** Resolves with its state once it is ready, or rejects with its output when it exits first. */
  ready: (timeoutMs: number) => Promise<LocalStackState>;
  /** Stops it by process group (SIGTERM, then SIGKILL) and removes its copy of the project. */
  stop: () => Promise<void>;
}

/** How much of its output is kept, in characters. */
const OUTPUT_KEPT = 1 << 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(child: ChildProcess, name: NodeJS.Signals) {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, name);
  } catch {
    // Already gone.
  }
}

/**
 * Starts the local stack from a copy of the project in a temporary directory, on free loopback
 * ports, with `env` added to the environment. The copy keeps its build (`.esbuild/`) apart from the
 * stack jest's global setup runs from the project itself.
 */
export async function startOffline(env: Record<string, string>): Promise<OfflineRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'offline-stack-'));
  for (const file of SERVICE_FILES)
    cpSync(path.join(root, file), path.join(dir, file), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const stateFile = path.join(dir, 'state.json');
  const ports = {
    LOCAL_SQS_PORT: await pickFreePort(),
    LOCAL_DYNAMODB_PORT: await pickFreePort(),
    LOCAL_SECRETS_PORT: await pickFreePort(),
    HTTP_PORT: await pickFreePort(),
    LAMBDA_PORT: await pickFreePort(),
    // The sandboxes too: their fixed defaults would collide with `npm run dev` or another stack.
    LOCAL_EMAIL_PORT: await pickFreePort(),
    LOCAL_WORKFLOW_PORT: await pickFreePort(),
  };
  const child = spawn(
    process.execPath,
    [path.join(root, 'node_modules', '.bin', 'serverless'), 'offline', 'start', '--stage', 'local'],
    {
      cwd: dir,
      // Its own process group, so stop() reaches serverless and DynamoDB Local's Java at once.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
        LOCAL_STACK_STATE_FILE: stateFile,
        LOCAL_STACK_PARENT_PID: String(process.pid),
        SLS_TELEMETRY_DISABLED: '1',
        ...env,
      },
    },
  );
  let output = '';
  // Only the tail is kept: a long run (the proof suite) logs far more than anyone reads.
  const keep = (chunk: Buffer) => {
    output += chunk;
    if (output.length > OUTPUT_KEPT) output = output.slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, name) => resolve(code ?? name ?? 'unknown'));
    child.once('error', (error) => resolve(error.message));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });

  return {
    output: () => output,
    exited,
    async ready(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(stateFile)) {
        if (done || Date.now() > deadline) {
          throw new Error(`The local stack did not get ready. Its output:\n${output}`);
        }
        await sleep(200);
      }
      return JSON.parse(readFileSync(stateFile, 'utf8')) as LocalStackState;
    },
    async stop() {
      signal(child, 'SIGTERM');
      for (let waited = 0; !done && waited < 8000; waited += 100) await sleep(100);
      signal(child, 'SIGKILL');
      for (let waited = 0; child.pid && alive(-child.pid) && waited < 2000; waited += 100) {
        await sleep(100);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
