/**
 * Serving one McpServer over stdin/stdout: one JSON-RPC message per line.
 *
 * Our own small transport instead of the SDK's StdioServerTransport, which
 * (1.32) closes itself, and so ends the server, on any message over 10 MiB, and
 * drops lines that are not JSON or not a valid JSON-RPC shape without an
 * answer, leaving the client to wait for its own timeout. Here:
 * - a line may be as large as a base64 upload of a file at the cap needs
 *   (MAX_MESSAGE_BYTES); a longer one is skipped without being buffered and
 *   answered with an error (with its id when the id is at the start or the end
 *   of the line, else null), and the server keeps reading;
 * - a line that is not JSON gets -32700 Parse error (id null);
 * - a request of the wrong shape gets -32600 Invalid Request, or -32602 Invalid
 *   params when only `params` is wrong (also for the params of a known MCP
 *   method), with its id when it has a valid one.
 * Nothing else is written to stdout.
 *
 * The transport closes when its client is gone: stdin ends (EOF), stdin or stdout fails (EPIPE,
 * EBADF), or `end()` says so (serveStdio's watch on the parent process). Nothing is written after
 * it has closed, and a write waiting for stdout to drain settles then.
 */
import type { Readable, Writable } from 'node:stream';
import type { JSONRPCMessage, McpServer, RequestId, Transport } from '@modelcontextprotocol/server';
import { serveStdio as serveStdioEntry } from '@modelcontextprotocol/server/stdio';
import { INVALID_REQUEST, isObject, messageProblem, PARSE_ERROR, validId } from '../mcp/jsonrpc.js';
import type { LogFn } from '../mcp/log.js';
import { MAX_MESSAGE_BYTES } from '../tools/files.js';

/** Implementation-defined server error, as the HTTP transport answers a body over its limit. */
export const MESSAGE_TOO_LARGE = -32000;

/** How much of an oversize line is kept to look for its id. */
const PEEK_BYTES = 512;
/** `{"jsonrpc":"2.0","id":7,...` (the id after simple string members) or `...,"id":7}` at the end. */
const ID_AT_START =
  /^\s*\{(?:\s*"(?:jsonrpc|method)"\s*:\s*"[^"\\]*"\s*,)*\s*"id"\s*:\s*(-?\d+|"[^"\\]*")\s*[,}]/;
const ID_AT_END = /[{,]\s*"id"\s*:\s*(-?\d+|"[^"\\]*")\s*\}\s*$/;

function errorCode(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}

function parseOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export interface StdioTransportOptions {
  input?: Readable;
  output?: Writable;
  /** The longest line accepted, in bytes (without the newline). */
  maxMessageBytes?: number;
  log?: LogFn;
  /**
   * Runs once, just after the first message is written (the answer to the opening request), so
   * per-process preparation happens while the client reads it instead of delaying it.
   */
  afterFirstWrite?: () => void;
}

export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly input: Readable;
  private readonly output: Writable;
  private readonly max: number;
  private readonly log: LogFn;
  private afterFirstWrite: (() => void) | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Set while skipping a line over the limit: its first and last bytes, and its length so far. */
  private skipping: { head: string; tail: Buffer; bytes: number } | null = null;
  private started = false;
  private closed = false;
  /** Settles the writes waiting for stdout to drain (at close). */
  private readonly drains = new Set<() => void>();
  /** Why the client is gone, when it is: set by `end()`, first reason kept. */
  endReason: string | undefined;
  /** Ids of the client's requests not answered yet. */
  private readonly unanswered = new Set<RequestId>();
  private onAnswered: (() => void) | undefined;
  private markClosed!: () => void;
  /** Settles when the transport has closed, whoever owns its `onclose`. */
  readonly whenClosed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(o: StdioTransportOptions = {}) {
    this.input = o.input ?? process.stdin;
    this.output = o.output ?? process.stdout;
    this.max = o.maxMessageBytes ?? MAX_MESSAGE_BYTES;
    this.log = o.log ?? (() => {});
    this.afterFirstWrite = o.afterFirstWrite;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StdioTransport already started');
    this.started = true;
    this.input.on('data', this.ondata);
    this.input.on('error', this.oninputerror);
    this.input.on('end', this.oninputend);
    this.input.on('close', this.oninputend);
    // Stays attached after close: a late write failure must not become an uncaught exception.
    this.output.on('error', this.onoutputerror);
    if (this.input.readableEnded || this.input.destroyed) setImmediate(this.oninputend);
  }

  /** Closes because the client is gone, saying why (the first reason is kept). */
  end(reason: string): Promise<void> {
    if (!this.closed) this.endReason ??= reason;
    return this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.ondata);
    this.input.off('error', this.oninputerror);
    this.input.off('end', this.oninputend);
    this.input.off('close', this.oninputend);
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.pending = [];
    this.skipping = null;
    for (const settle of this.drains) settle();
    this.markClosed();
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    const m = message as { id?: RequestId; result?: unknown; error?: unknown };
    if (m.id !== undefined && ('result' in m || 'error' in m)) {
      this.unanswered.delete(m.id);
      if (this.unanswered.size === 0) this.onAnswered?.();
    }
    return this.write(message);
  }

  /** Resolves once every request received so far is answered, or after `ms`. */
  answered(ms: number): Promise<void> {
    if (this.unanswered.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.onAnswered = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.onAnswered = done;
    });
  }

  private write(message: unknown): Promise<void> {
    if (this.afterFirstWrite) {
      const run = this.afterFirstWrite;
      this.afterFirstWrite = undefined;
      setImmediate(() => {
        try {
          run();
        } catch (err) {
          this.log('debug', `stdio warm-up failed: ${(err as Error).message}`);
        }
      });
    }
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) return resolve();
      const settle = () => {
        this.output.off('drain', settle);
        this.drains.delete(settle);
        resolve();
      };
      this.output.once('drain', settle);
      this.drains.add(settle);
    });
  }

  private reply(id: RequestId | null, code: number, message: string): void {
    this.write({ jsonrpc: '2.0', id, error: { code, message } }).catch(() => {});
  }

  private readonly oninputerror = (error: Error) => {
    this.onerror?.(error);
    void this.end(`stdin failed (${errorCode(error)})`);
  };

  private readonly oninputend = () => void this.end('end of input');

  private readonly onoutputerror = (error: Error) => void this.end(`stdout failed (${errorCode(error)})`);

  private readonly ondata = (chunk: Buffer | string) => {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let from = 0;
    for (let nl = data.indexOf(10); nl !== -1 && !this.closed; nl = data.indexOf(10, from)) {
      this.take(data.subarray(from, nl));
      this.endLine();
      from = nl + 1;
    }
    if (from < data.length && !this.closed) this.take(data.subarray(from));
  };

  /** Adds part of the current line; past the limit, keeps only its ends and its length. */
  private take(part: Buffer): void {
    if (this.skipping) {
      const tail = Buffer.concat([this.skipping.tail, part]);
      this.skipping.tail = tail.subarray(Math.max(0, tail.length - PEEK_BYTES));
      this.skipping.bytes += part.length;
      return;
    }
    if (this.pendingBytes + part.length <= this.max) {
      this.pending.push(part);
      this.pendingBytes += part.length;
      return;
    }
    const line = Buffer.concat([...this.pending, part]);
    this.skipping = {
      head: line.subarray(0, PEEK_BYTES).toString('utf8'),
      tail: line.subarray(Math.max(0, line.length - PEEK_BYTES)),
      bytes: line.length,
    };
    this.pending = [];
    this.pendingBytes = 0;
  }

  private endLine(): void {
    if (this.skipping) {
      const { head, tail, bytes } = this.skipping;
      this.skipping = null;
      const match = ID_AT_START.exec(head) ?? ID_AT_END.exec(tail.toString('utf8'));
      const id = match?.[1] ? validId(parseOrNull(match[1])) : null;
      this.log('warning', 'refused a stdio message over the size limit', { bytes, limit: this.max });
      this.reply(
        id,
        MESSAGE_TOO_LARGE,
        `Message of ${bytes} bytes is over this server's limit of ${this.max} bytes; send large files as file_path (a local file) rather than content_base64`,
      );
      return;
    }
    const line = Buffer.concat(this.pending, this.pendingBytes).toString('utf8');
    this.pending = [];
    this.pendingBytes = 0;
    if (line.trim() !== '') this.handleLine(line);
  }

  private handleLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.log('warning', 'refused a stdio line that is not JSON', { bytes: line.length });
      this.reply(null, PARSE_ERROR, 'Parse error: the line is not JSON; send one JSON-RPC message per line');
      return;
    }
    if (Array.isArray(value)) {
      // MCP (2025-06-18) has no batches; answer each request in one, or once with id null.
      const ids = value.map((m) => (isObject(m) ? validId(m.id) : null)).filter((id) => id !== null);
      const message = 'Invalid Request: JSON-RPC batches are not supported; send one message per line';
      for (const id of ids.length > 0 ? ids : [null]) this.reply(id, INVALID_REQUEST, message);
      return;
    }
    const problem = messageProblem(value);
    if (!problem) {
      const m = value as { id?: RequestId; method?: unknown };
      // A `subscriptions/listen` stream stays open until the client leaves: nothing to wait for at a stop.
      if (typeof m.method === 'string' && m.id !== undefined && m.method !== 'subscriptions/listen')
        this.unanswered.add(m.id);
      this.onmessage?.(value as JSONRPCMessage);
      return;
    }
    const m = isObject(value) ? value : {};
    if (!('method' in m) && ('result' in m || 'error' in m)) {
      // A malformed answer to one of our requests: fail that request now instead of letting it time out.
      this.log('warning', 'the client sent a malformed JSON-RPC response');
      if (problem.id !== null) {
        this.onmessage?.({
          jsonrpc: '2.0',
          id: problem.id,
          error: { code: INVALID_REQUEST, message: 'The client sent a malformed response' },
        });
      }
      return;
    }
    // A notification (no id) is never answered, even a malformed one; anything else is.
    if (!('id' in m) && typeof m.method === 'string') {
      this.log('warning', 'ignored a malformed notification', { method: m.method.slice(0, 100) });
      return;
    }
    this.reply(problem.id, problem.code, problem.message);
  }
}

/** How serving stdio stops on a signal. */
export interface StdioStop {
  /** Settles when the process is told to stop (SIGTERM, SIGINT). */
  requested: Promise<void>;
  /** Runs first, and when the client is gone: long work answers at once (the servers' `stopping` signal). */
  begin(): void;
  /** How long the requests in flight may take to answer, default STDIO_GRACE_MS. */
  graceMs?: number;
}

/** How long requests in flight may take to answer once a stop signal arrives over stdio. */
export const STDIO_GRACE_MS = 5000;

/** How often serving stdio checks that the process that started it is still its parent. */
export const PARENT_POLL_MS = 1000;

/** Why serving stdio ended: a stop signal, or the client went away (see StdioTransport). */
export type StdioEnd = 'stop' | 'client gone';

/**
 * Serves stdio from a server factory through the SDK's era-aware entry: the opening exchange picks the
 * connection's protocol generation (a 2025-era `initialize`, or a 2026-07-28 request with its `_meta`
 * envelope) and one server from the factory is pinned for the connection. Resolves on `stop`: once the
 * requests in flight have answered (waits answer at once), at most `graceMs` later; or as soon as the
 * client is gone, whatever is open (listen streams, subscriptions, waits): stdin ends or fails, stdout
 * fails, or the parent process goes away (the process is re-parented, to init or a subreaper, while
 * the pipes may still be open). Then long work is told to stop, nothing more is written, and one line
 * on stderr says why.
 */
export async function serveStdio(
  factory: () => McpServer,
  log?: LogFn,
  warmUp?: () => void,
  stop?: StdioStop,
): Promise<StdioEnd> {
  const transport = new StdioTransport({ log, afterFirstWrite: warmUp });
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) void transport.end(`parent process ${parent} gone`);
  }, PARENT_POLL_MS);
  watch.unref();
  const handle = serveStdioEntry(() => factory(), {
    transport,
    onerror: (err) => log?.('debug', `stdio: ${err.message}`),
  });
  const gone = transport.whenClosed.then((): StdioEnd => 'client gone');
  const stopped = stop?.requested.then(async (): Promise<StdioEnd> => {
    stop.begin();
    await transport.answered(stop.graceMs ?? STDIO_GRACE_MS);
    return 'stop';
  });
  const ended = await Promise.race(stopped ? [gone, stopped] : [gone]);
  clearInterval(watch);
  if (ended === 'client gone') {
    log?.('info', `stdio client gone (${transport.endReason ?? 'connection closed'}): exiting`);
    stop?.begin();
  }
  await handle.close().catch(() => {});
  return ended;
}
