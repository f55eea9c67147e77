import net from 'node:net';

/**
 * A loopback TCP proxy that can cut one side off: while cut, it stops reading from both sides
 * (bytes wait in the kernel's buffers, as on a network that silently stops delivering), and
 * healing lets them through again, late. Used to cut a server instance off from Redis.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private cut = false;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((downstream) => {
      const upstream = net.connect(upstreamPort, '127.0.0.1');
      for (const [from, to] of [[downstream, upstream], [upstream, downstream]] as const) {
        proxy!.sockets.add(from);
        from.on('data', (chunk) => to.write(chunk));
        from.on('error', () => to.destroy());
        from.on('close', () => {
          proxy!.sockets.delete(from);
          to.destroy();
        });
        if (proxy!.cut) from.pause();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  /** Stop delivering in both directions (connections stay open). */
  blackHole(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.pause();
  }

  /** Deliver again, including what waited meanwhile. */
  heal(): void {
    this.cut = false;
    for (const socket of this.sockets) socket.resume();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
