/**
 * The HTTP server around the app: request timeouts, and graceful shutdown (readiness
 * turns false, no new connections, in-flight requests finish, idle keep-alive
 * connections close, then the process may exit; a deadline bounds the wait).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LoadedService } from './app.ts';
import { balanceConnections, type Balance } from '../runtime/balance.ts';

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), closes. */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Accept on this already-listening socket (another thread's) instead of binding host:port. */
  fd?: number;
  /** Spread keep-alive connections over the threads sharing the socket (service/runtime/balance.ts). */
  balance?: Balance;
}

export async function listen(
  svc: LoadedService,
  host: string,
  port: number,
  how: ListenOptions = {},
): Promise<RunningServer> {
  const { state } = svc;
  const o = state.options;
  const server = createServer();
  if (how.balance) {
    const shed = balanceConnections(server, how.balance);
    const handler = svc.handler;
    server.on('request', (req, res) => {
      shed(res);
      handler(req, res);
    });
  } else server.on('request', svc.handler);
  // Time to receive a whole request; Node answers 408 and closes the socket past it.
  server.requestTimeout = o.requestTimeoutMs;
  server.headersTimeout = Math.min(o.requestTimeoutMs, 60_000);
  // Longer than the usual load-balancer idle timeout (60 s), so the balancer closes first.
  server.keepAliveTimeout = 65_000;
  // Idle socket limit (e.g. a client that stops reading a streamed answer), beyond keep-alive.
  server.timeout = Math.max(o.requestTimeoutMs * 2, server.keepAliveTimeout + 5_000);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (how.fd === undefined) server.listen(port, host, done);
    else server.listen({ fd: how.fd }, done);
  });
  const addr = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      state.ready = false;
      const deadline = setTimeout(() => server.closeAllConnections(), o.shutdownTimeoutMs);
      deadline.unref();
      server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
      // Keep-alive connections with no request in flight would hold close() open.
      server.closeIdleConnections();
      // Connections that finish a request during shutdown are told not to come back.
      server.on('request', (_req, res) => res.setHeader('Connection', 'close'));
    });
    return closing;
  };
  return { server, url: `http://${shownHost}:${addr.port}`, port: addr.port, close };
}
