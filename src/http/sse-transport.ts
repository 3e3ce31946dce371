/**
 * The old HTTP+SSE transport (MCP protocol 2024-11-05) itself: one legacy session's event stream and
 * the messages POSTed to it. The routes that open and feed it are routes/sse.ts. Ours, on Web
 * streams, because the SDK's `SSEServerTransport` picks its own session id (ours is bound to the key,
 * see web/auth.ts) and needs Node's raw request objects.
 */
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
} from '@modelcontextprotocol/server';

/** The protocol generation this transport belongs to (it allows JSON-RPC batches). */
export const LEGACY_PROTOCOL_VERSION = '2024-11-05';

/** Where clients POST: relative to the server root, so it survives a reverse proxy that keeps the Host. */
export const MESSAGES_PATH = '/messages';
/** Where a legacy client opens its session and stream. */
export const SSE_PATH = '/sse';
const KEEPALIVE_MS = 25_000;
const encoder = new TextEncoder();

/**
 * One legacy session's transport: its stream is the body of the `GET /sse`
 * answer; POSTed messages come in through `receive`.
 */
export class LegacySseTransport implements Transport {
  readonly stream: ReadableStream<Uint8Array>;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  /** Ids of requests received and not yet answered: calls in flight. */
  readonly #pending = new Set<string | number>();

  constructor(
    readonly sessionId: string,
    private readonly endpoint: string,
  ) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // The client went away (the HTTP adapter cancels the body when the socket closes).
      cancel: () => this.#end(),
    });
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  async start(): Promise<void> {
    this.#write(`event: endpoint\ndata: ${this.endpoint}\n\n`);
    // A comment line now and then keeps proxies from timing the stream out and reveals dead peers.
    this.#keepalive = setInterval(() => this.#write(': keepalive\n\n'), KEEPALIVE_MS);
    this.#keepalive.unref();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) throw new Error('Not connected');
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) {
      if (message.id !== undefined) this.#pending.delete(message.id);
    }
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Hands a POSTed message to the server. */
  receive(message: JSONRPCMessage, extra: MessageExtraInfo): void {
    if (isJSONRPCRequest(message)) this.#pending.add(message.id);
    this.onmessage?.(message, extra);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#controller.close();
    } catch {
      // already closed or cancelled
    }
    this.#end();
  }

  #write(text: string): void {
    if (this.#closed) return;
    try {
      this.#controller.enqueue(encoder.encode(text));
    } catch {
      this.#end();
    }
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepalive);
    this.#pending.clear();
    this.onclose?.();
  }
}
