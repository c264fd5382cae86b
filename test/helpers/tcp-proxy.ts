import net from 'node:net';

/**
 * A loopback TCP proxy in front of a local server, so a test can take a dependency down and bring it
 * back while the code under test keeps its endpoint: `cut()` closes every connection and refuses new
 * ones; `restore()` listens again on the same port.
 */
export class TcpProxy {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** The proxy's URL, for an SDK client's `endpoint`. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** Starts listening on a free loopback port (or the port it had, after a cut). */
  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Drops every open connection and stops accepting: the dependency is down. */
  async cut(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port: the dependency is back. */
  restore(): Promise<void> {
    return this.start();
  }

  /** Stops for good. */
  stop(): Promise<void> {
    return this.cut();
  }
}
