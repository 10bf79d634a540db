/**
 * A TCP proxy in front of a test server, so a test can make a source deployment disappear in the middle
 * of a migration (`cut`: every connection dropped, nothing listening) and come back on the same address
 * (`restore`), with its data. `delayMs` holds back every chunk the server sends, which slows a copy
 * down enough for a test to act in the middle of it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Milliseconds each chunk from the server waits before it is passed on. */
  delayMs: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const proxy: TcpProxy = {
    get port() {
      return port;
    },
    delayMs: 0,
    cut: async () => {
      const closing = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      if (closing !== undefined) await new Promise<void>((resolve) => closing.close(() => resolve()));
    },
    restore: async () => {
      if (server === undefined) await listen(port);
    },
    close: () => proxy.cut(),
  };

  async function listen(at: number): Promise<void> {
    const listening = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      sockets.add(client);
      sockets.add(upstream);
      client.on('data', (chunk) => upstream.write(chunk));
      upstream.on('data', (chunk) => {
        if (proxy.delayMs === 0) client.write(chunk);
        else {
          // Held back in order: pause the server's side until this chunk is passed on.
          upstream.pause();
          setTimeout(() => {
            client.write(chunk);
            upstream.resume();
          }, proxy.delayMs);
        }
      });
      const end = (): void => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('close', end).on('error', end);
      upstream.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(at, '127.0.0.1', () => resolve());
    });
    server = listening;
    const address = listening.address();
    if (typeof address === 'object' && address !== null) port = address.port;
  }

  await listen(0);
  return proxy;
}
