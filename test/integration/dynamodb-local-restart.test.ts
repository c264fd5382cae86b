import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { isRunning, stopOrphanedDynamoDbLocals } from '../../local/dynamodb/orphans';
import { pickFreePort } from '../../local/stack/ports';

// A test starts Java (DynamoDB Local) up to twice: seconds each, and far more on a loaded machine.
jest.setTimeout(120_000);

const DYNAMODB_LOCAL_MODULE = path.resolve(__dirname, '../../local/dynamodb/dynamodb-local.js');

/** Starts DynamoDB Local from a Node process of its own, as `npm run dev` does, and stays alive. */
const RUN_SCRIPT = `
const { startDynamoDbLocal } = require(process.env.TEST_MODULE);
startDynamoDbLocal({
  port: Number(process.env.TEST_PORT),
  stateDir: process.env.TEST_STATE_DIR,
  warn: () => {},
}).then(
  (dynamodb) => {
    process.stdout.write(JSON.stringify({ pid: dynamodb.pid }) + '\\n');
    setInterval(() => {}, 60_000);
  },
  (error) => {
    console.error(error.message);
    process.exit(1);
  },
);
`;

const stateDir = mkdtempSync(path.join(tmpdir(), 'dynamodb-local-state-'));
// Every process a test started, stopped by PID in afterAll if a test failed half-way.
const started: number[] = [];

afterAll(() => {
  for (const pid of started) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(stateDir, { recursive: true, force: true });
});

/** Runs RUN_SCRIPT in a child Node process; resolves with that process and its Java's PID. */
async function startInChildProcess(port: number): Promise<{ node: ChildProcess; java: number }> {
  const node = spawn(process.execPath, ['-e', RUN_SCRIPT], {
    env: {
      ...process.env,
      TEST_MODULE: DYNAMODB_LOCAL_MODULE,
      TEST_PORT: String(port),
      TEST_STATE_DIR: stateDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (node.pid !== undefined) started.push(node.pid);
  let output = '';
  let errors = '';
  node.stderr?.on('data', (chunk) => {
    errors += chunk;
  });
  const line = await new Promise<string>((resolve, reject) => {
    node.stdout?.on('data', (chunk) => {
      output += chunk;
      if (output.includes('\n')) resolve(output.split('\n')[0] ?? '');
    });
    node.once('exit', (code) => reject(new Error(`exited with ${code}: ${errors}`)));
  });
  const java = (JSON.parse(line) as { pid: number }).pid;
  started.push(java);
  return { node, java };
}

async function listTables(endpoint: string) {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 5000 },
  });
  try {
    return await client.send(new ListTablesCommand({}));
  } finally {
    client.destroy();
  }
}

describe('DynamoDB Local restart after a crash', () => {
  it('stops the DynamoDB Local a killed run left behind and starts again on the same port', async () => {
    const port = await pickFreePort();
    const { node, java: orphan } = await startInChildProcess(port);
    node.kill('SIGKILL');
    await once(node, 'exit');
    const orphanOutlivedItsRun = isRunning(orphan);

    const restarted = await startDynamoDbLocal({ port, stateDir, warn: () => {} });
    started.push(restarted.pid);
    try {
      const tables = await listTables(restarted.endpoint);
      // A second start elsewhere must leave this one alone: its stack (this process) still runs it.
      const stoppedByAnotherStart = await stopOrphanedDynamoDbLocals({ stateDir });

      expect(orphanOutlivedItsRun).toBe(true);
      expect(isRunning(orphan)).toBe(false);
      expect(restarted.pid).not.toBe(orphan);
      expect(tables.TableNames).toEqual(expect.any(Array));
      expect(stoppedByAnotherStart).toEqual([]);
      expect(isRunning(restarted.pid)).toBe(true);
    } finally {
      await restarted.stop();
    }
  });

  it('still fails with a message naming LOCAL_DYNAMODB_PORT when something else holds the port', async () => {
    const port = await pickFreePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const failure = startDynamoDbLocal({ port, stateDir, warn: () => {} });

      await expect(failure).rejects.toThrow(
        new RegExp(`Port ${port} \\(DynamoDB Local\\) is already in use.*LOCAL_DYNAMODB_PORT`),
      );
      expect(holder.listening).toBe(true);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('never stops a recorded process that is not DynamoDB Local (its PID was reused)', async () => {
    const port = await pickFreePort();
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    const bystander = spawn('sleep', ['30']);
    const bystanderPid = bystander.pid as number;
    started.push(bystanderPid);
    writeFileSync(
      path.join(stateDir, `dynamodb-local-${port}.json`),
      JSON.stringify({ pid: bystanderPid, port, ownerPid: gone.pid }),
    );

    const stopped = await stopOrphanedDynamoDbLocals({ stateDir });

    expect(stopped).toEqual([]);
    expect(isRunning(bystanderPid)).toBe(true);
    bystander.kill('SIGKILL');
  });
});
