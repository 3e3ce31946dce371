/**
 * startHttpServer: the HTTP app on a node:http server with bounded header and
 * body times, idle-session sweeping, and a graceful close: stop accepting, let
 * in-flight calls finish within a bound, close the sessions, drop the sockets.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { isLoopbackHost } from '../web/auth.js';
import { adapterErrorResponse } from '../web/responses.js';
import { createHttpApp, type HttpApp, type HttpAppOptions } from './app.js';

export interface StartHttpOptions extends Omit<HttpAppOptions, 'loopbackOnly' | 'listenUrl'> {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Time to receive request headers, default 10 s. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request (not its streamed answer), default 60 s. */
  requestTimeoutMs?: number;
}

export interface RunningHttpServer {
  /** http://host:port (no path). */
  url: string;
  /** url + '/mcp' */
  mcpUrl: string;
  port: number;
  http: Server;
  app: HttpApp;
  /** Stops accepting, waits up to `graceMs` for in-flight calls, closes sessions and sockets. */
  close(graceMs?: number): Promise<void>;
}

export async function startHttpServer(o: StartHttpOptions): Promise<RunningHttpServer> {
  const loopbackOnly = isLoopbackHost(o.host);
  let url: string | undefined;
  // On loopback, VOISA (a sandbox on this machine) reaches the webhook receivers at this server's own address.
  const app = createHttpApp({ ...o, loopbackOnly, listenUrl: () => url });
  await app.warmUp().catch(() => {}); // an optimisation only: serving works without it
  const listener = getRequestListener(app.app.fetch, {
    // A request the adapter cannot parse (malformed Host…) is the client's error: 400.
    errorHandler: adapterErrorResponse,
  });
  const http = createServer((req, res) => {
    res.on('error', () => {}); // a client that vanished mid-answer is not our error
    void listener(req, res);
  });
  http.headersTimeout = o.headersTimeoutMs ?? 10_000;
  http.requestTimeout = o.requestTimeoutMs ?? 60_000;
  http.keepAliveTimeout = 5_000;
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const shownHost =
    o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  url = `http://${shownHost}:${port}`;

  const sweeper = setInterval(
    () => app.sweep(),
    Math.max(250, Math.min(30_000, (o.sessionIdleMs ?? 30 * 60_000) / 4)),
  );
  sweeper.unref();

  let closing: Promise<void> | undefined;
  return {
    url,
    mcpUrl: `${url}/mcp`,
    port,
    http,
    app,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        clearInterval(sweeper);
        app.beginShutdown();
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeIdleConnections();
        const deadline = Date.now() + graceMs;
        while (app.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await app.close();
        http.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
