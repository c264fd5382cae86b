import { spawn } from 'node:child_process';
import path from 'node:path';
import { pickFreePort } from '../../../local/stack/ports';

/** A `serverless offline start` of one small service, started by a test. */
export interface OfflineService {
  /** The HTTP API, e.g. `http://127.0.0.1:41234`. */
  http: string;
  /** The Lambda invoke API. */
  lambda: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Stops the process group (SIGTERM, then SIGKILL) and waits until it is gone. */
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, '../../..');

/** Whether any process of group `pid` is still there. */
function groupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Starts `serverless offline start` in `serviceDir` (a service whose serverless.yml reads HTTP_PORT
 * and LAMBDA_PORT) on free loopback ports, in its own process group, and resolves once its HTTP
 * server is ready. Call `stop()` in `afterAll`.
 */
export async function startOfflineService(
  serviceDir: string,
  readyTimeoutMs = 60_000,
): Promise<OfflineService> {
  const [httpPort, lambdaPort] = [await pickFreePort(), await pickFreePort()];
  const child = spawn(
    process.execPath,
    [path.join(root, 'node_modules', '.bin', 'serverless'), 'offline', 'start'],
    {
      cwd: serviceDir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HTTP_PORT: String(httpPort),
        LAMBDA_PORT: String(lambdaPort),
        SLS_TELEMETRY_DISABLED: '1',
      },
    },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Could not start serverless offline in ${serviceDir}`);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const stop = async () => {
    if (!groupExists(pid)) return;
    process.kill(-pid, 'SIGTERM');
    if (!(await waitUntil(() => !groupExists(pid), 5000))) {
      process.kill(-pid, 'SIGKILL');
      await waitUntil(() => !groupExists(pid), 2000);
    }
  };

  const ready = await waitUntil(() => exited || output.includes('Server ready:'), readyTimeoutMs);
  if (!ready || exited) {
    await stop();
    throw new Error(
      `serverless offline in ${serviceDir} ${exited ? 'exited' : 'was not ready'}:\n${output}`,
    );
  }
  return {
    http: `http://127.0.0.1:${httpPort}`,
    lambda: `http://127.0.0.1:${lambdaPort}`,
    output: () => output,
    stop,
  };
}
