/**
 * A tiny raw `node:http` server for client tests that need what the sandbox cannot do:
 * bodies that trickle forever, or a VOISA that echoes the caller's key in headers.
 * Listens on an ephemeral loopback port; `close()` also ends open connections.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RawServer {
  /** Base URL with the /v1 prefix, as the client expects it. */
  baseUrl: string;
  /** Paths (without /v1) of the requests received so far, in order. */
  paths: string[];
  close(): Promise<void>;
}

export async function rawServer(handler: Handler): Promise<RawServer> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push((req.url ?? '').replace(/^\/v1/, '').replace(/\?.*$/, ''));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    paths,
    async close() {
      // Ending the connections closes the responses, which stops their trickle timers.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Answers 200 with `contentType`, writes `head` at once and then one more byte of `filler`
 * every `everyMs`, forever: every chunk arrives long before any idle timeout, the body never ends.
 */
export function trickle(
  res: ServerResponse,
  contentType: string,
  head = '',
  filler = ' ',
  everyMs = 20,
): void {
  res.writeHead(200, { 'content-type': contentType });
  if (head) res.write(head);
  const timer = setInterval(() => {
    if (res.destroyed || res.writableEnded) clearInterval(timer);
    else res.write(filler);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

/** Answers with a JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
