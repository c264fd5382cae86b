import type { AddressInfo } from 'node:net';
import { createServer, type Socket } from 'node:net';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { bindToDeadline, runWithinDeadline } from '../../../../shared/clients/deadline';

/** A deadline whose work part ends after 300 ms. */
const DEADLINE = { deadlineMs: 400, cleanupReserveMs: 100 };

/**
 * A server on loopback that accepts connections and never answers: the hung dependency a deadline
 * exists for. The client's own request timeout is a minute, so only the deadline can end a call.
 */
const sockets = new Set<Socket>();
let accepted = 0;
const hungServer = createServer((socket) => {
  accepted += 1;
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
let client: SQSClient;

beforeAll(async () => {
  await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
  const { port } = hungServer.address() as AddressInfo;
  client = bindToDeadline(
    new SQSClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: 5_000,
        requestTimeout: 60_000,
        throwOnRequestTimeout: true,
      },
    }),
  );
});

afterAll(async () => {
  client.destroy();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hungServer.close(() => resolve()));
});

describe('a bound AWS SDK client against a server that never answers', () => {
  it('rejects the call once the work deadline passes', async () => {
    const acceptedBefore = accepted;
    const started = Date.now();

    const outcome = await runWithinDeadline(DEADLINE, () => client.send(new ListQueuesCommand({})))
      .then(() => 'answered')
      .catch((error: Error) => error);
    const elapsed = Date.now() - started;

    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toBe('AbortError');
    expect(accepted).toBeGreaterThan(acceptedBefore);
    // A generous bound: the request timeout is a minute, so only the deadline can explain this.
    expect(elapsed).toBeLessThan(5 * DEADLINE.deadlineMs);
  }, 20_000);

  it('leaves a call outside any deadline pending, where a bound one is aborted', async () => {
    const own = new AbortController();
    let settled = false;
    const unbounded = client
      .send(new ListQueuesCommand({}), { abortSignal: own.signal })
      .catch((error: Error) => error)
      .finally(() => {
        settled = true;
      });

    const inside = await runWithinDeadline(DEADLINE, () => client.send(new ListQueuesCommand({})))
      .then(() => 'answered')
      .catch((error: Error) => error.name);

    expect(inside).toBe('AbortError');
    expect(settled).toBe(false);
    own.abort();
    expect(await unbounded).toBeInstanceOf(Error);
  }, 20_000);
});
