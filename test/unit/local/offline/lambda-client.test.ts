import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

const { localLambdaClient } = require('../../../../local/offline/lambda-client') as {
  localLambdaClient: (options: { endpoint: string; requestTimeoutMs: number }) => LambdaClient;
};

/**
 * A Lambda API stand-in on loopback that answers one invocation per connection and resets any later
 * request on the same connection: what a client meets when it writes to a kept-alive connection at the
 * moment the server closes it for idling (serverless-offline's server does so after 5 s). That race is
 * rare on an idle machine and frequent on a loaded one; this server makes it certain.
 */
async function staleConnectionServer(): Promise<{
  server: Server;
  endpoint: string;
  resets: () => number;
}> {
  const served = new WeakSet<Socket>();
  let resets = 0;
  const server = createServer((request, response) => {
    const socket = request.socket;
    if (served.has(socket)) {
      resets += 1;
      socket.resetAndDestroy();
      return;
    }
    served.add(socket);
    request.resume();
    request.on('end', () => {
      response.setHeader('content-type', 'application/json');
      response.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}`, resets: () => resets };
}

const invokeTimes = async (client: LambdaClient, times: number) => {
  const outcomes: string[] = [];
  for (let index = 0; index < times; index += 1) {
    try {
      const result = await client.send(new InvokeCommand({ FunctionName: 'f', Payload: '{}' }));
      outcomes.push(Buffer.from(result.Payload ?? []).toString('utf8'));
    } catch (error) {
      outcomes.push((error as Error).message);
    }
  }
  return outcomes;
};

describe("the local stack's Lambda API client", () => {
  let stale: Awaited<ReturnType<typeof staleConnectionServer>>;
  beforeEach(async () => {
    stale = await staleConnectionServer();
  });
  afterEach(async () => {
    stale.server.closeAllConnections();
    await new Promise((resolve) => stale.server.close(resolve));
  });

  it('opens a new connection per invocation, so a connection the server closed is never written to', async () => {
    const client = localLambdaClient({ endpoint: stale.endpoint, requestTimeoutMs: 2000 });
    try {
      expect(await invokeTimes(client, 5)).toEqual(Array(5).fill('{"ok":true}'));
      expect(stale.resets()).toBe(0);
    } finally {
      client.destroy();
    }
  });

  it('is what makes the difference: a client that keeps connections alive meets the reset', async () => {
    const keepAlive = new LambdaClient({
      endpoint: stale.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
      requestHandler: { requestTimeout: 2000, throwOnRequestTimeout: true },
    });
    try {
      const outcomes = await invokeTimes(keepAlive, 2);

      // The symptom the local event source showed before: `TimeoutError: read ECONNRESET`.
      expect(outcomes).toEqual(['{"ok":true}', expect.stringMatching(/read ECONNRESET/)]);
      expect(stale.resets()).toBe(1);
    } finally {
      keepAlive.destroy();
    }
  });

  it('does not retry a reset invocation: the handler may have run, so the batch goes back to the queue', async () => {
    let requests = 0;
    const resetting = createServer((request) => {
      requests += 1;
      request.socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const { port } = resetting.address() as AddressInfo;
    const client = localLambdaClient({
      endpoint: `http://127.0.0.1:${port}`,
      requestTimeoutMs: 2000,
    });
    try {
      await expect(
        client.send(new InvokeCommand({ FunctionName: 'f', Payload: '{}' })),
      ).rejects.toThrow(/ECONNRESET|socket hang up/);
      expect(requests).toBe(1);
    } finally {
      client.destroy();
      await new Promise((resolve) => resetting.close(resolve));
    }
  });
});
