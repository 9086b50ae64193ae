/**
 * The HTTP server around the app: request timeouts, and graceful shutdown (readiness
 * turns false, no new connections, in-flight requests finish, idle keep-alive
 * connections close, then the process may exit; a deadline bounds the wait).
 *
 * What node:http answers itself — a request it cannot parse, headers too large, a request
 * not received within REQUEST_TIMEOUT_MS, an idle connection — gets the service's JSON
 * error shape and security headers too. A streamed CSV answer already under way is
 * never cut short by those limits: it is told to stop and ends with its
 * "batch incomplete" record (service/http/csv-batch.ts), then the connection closes.
 */
import { randomUUID } from 'node:crypto';
import { createServer, STATUS_CODES, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { LoadedService } from './app.ts';
import { balanceConnections, type Balance } from '../runtime/balance.ts';
import { streamedAnswers } from './csv-batch.ts';
import type { ErrorBody } from './http-error.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** Time a stopped streamed answer (or a refusal) gets to reach the client before the connection is closed. */
const STOP_GRACE_MS = 5_000;

/** Writes an error answer in the service's shape straight to a connection node:http will not answer on, and closes it. */
function answerRaw(socket: Socket, status: number, code: string, message: string): void {
  const body: ErrorBody = { error_code: code, message, status, request_id: randomUUID() };
  const text = JSON.stringify(body);
  const headers = Object.entries({
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    Connection: 'close',
  })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  // end() closes once the answer is flushed (destroy() would drop it); a client that never reads is cut later.
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers}\r\n${text}`);
  setTimeout(() => socket.destroy(), STOP_GRACE_MS).unref();
}

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
  // Node checks request deadlines on this period (30 s by default): a short REQUEST_TIMEOUT_MS is kept closely.
  const server = createServer({ connectionsCheckingInterval: Math.min(30_000, Math.max(250, o.requestTimeoutMs / 4)) });
  const inFlight = new WeakMap<Socket, ServerResponse>();
  const track = (res: ServerResponse): void => {
    const socket = res.socket;
    if (!socket) return;
    inFlight.set(socket, res);
    res.once('close', () => {
      if (inFlight.get(socket) === res) inFlight.delete(socket);
    });
  };
  const shed = how.balance ? balanceConnections(server, how.balance) : null;
  const handler = svc.handler;
  server.on('request', (req, res) => {
    track(res);
    shed?.(res);
    handler(req, res);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) =>
    refuseConnection(socket, err, inFlight.get(socket) ?? null),
  );
  // CONNECT (a proxy tunnel) is not something this service does; node:http would drop the connection.
  server.on('connect', (req: { method?: string; url?: string }, socket: Socket) =>
    answerRaw(socket, 501, 'NOT_IMPLEMENTED', `${req.method} is not a method this service implements`),
  );
  // The idle limit (server.timeout). Between requests a connection just closes, as node:http does.
  server.on('timeout', (socket: Socket) => {
    const res = inFlight.get(socket);
    if (!res) socket.destroy();
    else refuseConnection(socket, Object.assign(new Error('idle'), { code: 'IDLE_TIMEOUT' }), res);
  });
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
  /** Ends what node:http would answer in plain text (or cut), in the JSON shape; the connection closes. */
  function refuseConnection(socket: Socket, err: NodeJS.ErrnoException, res: ServerResponse | null): void {
    const stop = streamedAnswers.get(socket);
    if (stop) {
      stop(
        err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? `the upload did not finish within REQUEST_TIMEOUT_MS (${o.requestTimeoutMs} ms)`
          : `the connection was idle for ${server.timeout} ms`,
      );
      setTimeout(() => socket.destroy(), STOP_GRACE_MS).unref();
      res?.once('finish', () => socket.end());
      return;
    }
    if (!socket.writable || res?.headersSent || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW')
      answerRaw(socket, 431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'the request headers are too large');
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'IDLE_TIMEOUT')
      answerRaw(
        socket,
        408,
        'REQUEST_TIMEOUT',
        `the request did not arrive within ${err.code === 'IDLE_TIMEOUT' ? server.timeout : o.requestTimeoutMs} ms`,
      );
    else answerRaw(socket, 400, 'BAD_REQUEST', `the request could not be read as HTTP (${err.code ?? err.message})`);
  }

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
        // The last sampled lines reach the scoring log before the process may exit.
        void Promise.resolve(state.scoringLog?.close()).finally(resolve);
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
