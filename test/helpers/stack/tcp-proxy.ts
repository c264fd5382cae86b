import net from 'node:net';

/**
 * A loopback TCP proxy in front of a local server, so a test can take a dependency down and bring it
 * back while the code under test keeps its endpoint: `cut()` closes every connection and refuses new
 * ones; `restore()` listens again on the same port; `hang()` keeps accepting connections but stops
 * answering (nothing is forwarded either way), the way a frozen server behaves; `resume()` undoes it.
 */
export class TcpProxy {
  #server: net.Server | undefined;
  readonly #sockets = new Set<net.Socket>();
  #port = 0;
  #hanging = false;
  /** Connections that arrived while hanging: held open, never forwarded. */
  readonly #held = new Set<net.Socket>();

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
      if (this.#hanging) {
        this.#held.add(client);
        client.on('error', () => client.destroy());
        client.on('close', () => this.#held.delete(client));
        return;
      }
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

  /**
   * Stops answering: open connections stop forwarding (so calls in flight hang too) and new ones are
   * accepted and held without reaching the server.
   */
  hang(): void {
    this.#hanging = true;
    for (const socket of this.#sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  /**
   * Answers again. Held connections are dropped (their callers gave up at their own timeout), and the
   * connections that were paused are closed too, so no stale request reaches the server late.
   */
  resume(): void {
    this.#hanging = false;
    for (const socket of [...this.#held, ...this.#sockets]) socket.destroy();
  }

  /** Stops for good. */
  async stop(): Promise<void> {
    this.resume();
    await this.cut();
  }
}
