/**
 * An HTTP stack for tests: a sandbox, a VOISA client, and `startHttpServer` on an
 * ephemeral loopback port; SDK clients connect through StreamableHTTPClientTransport.
 */
import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type CallToolResult,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { type RunningHttpServer, type StartHttpOptions, startHttpServer } from '../../src/http/listen.js';
import type { LogFn } from '../../src/mcp/log.js';
import { type Sandbox, type SandboxOptions, signWebhookBody, startSandbox } from '../../src/sandbox/index.js';
import type { SharedState } from '../../src/scale/index.js';
import { VoisaClient, type VoisaLogger } from '../../src/voisa/index.js';

export interface Stack {
  sandbox: Sandbox;
  api: VoisaClient;
  http: RunningHttpServer;
  /** Every operator log line, to assert that no key leaks. */
  logs: string[];
  close(): Promise<void>;
}

export interface StackOptions extends Partial<Omit<StartHttpOptions, 'api' | 'serverKey'>> {
  sandbox?: SandboxOptions;
  /** The server's own key: the sandbox demo key by default, null for none. */
  serverKey?: string | null;
  /** The VOISA client's logger (none by default). */
  logger?: VoisaLogger;
}

export async function startStack(o: StackOptions = {}): Promise<Stack> {
  const { sandbox: sandboxOptions, serverKey: keyOption, logger, ...httpOptions } = o;
  const sandbox = await startSandbox({ trainingMs: 200, callMs: 300, rateLimitPerMin: 0, ...sandboxOptions });
  const serverKey = keyOption === null ? undefined : (keyOption ?? sandbox.demoKey);
  const logs: string[] = [];
  const log: LogFn = (level, message, data) =>
    logs.push(`${level} ${message} ${data ? JSON.stringify(data) : ''}`);
  const api = new VoisaClient({
    apiKey: serverKey,
    baseUrl: sandbox.baseUrl,
    rateLimitPerMin: 0,
    maxRetryDelayMs: 50,
    logger,
  });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, api, serverKey, log, ...httpOptions });
  return {
    sandbox,
    api,
    http,
    logs,
    async close() {
      await http.close(200);
      await api.close();
      await sandbox.close();
    },
  };
}

/** One server instance in front of a sandbox the test owns. */
export interface Instance {
  http: RunningHttpServer;
  api: VoisaClient;
  shared?: SharedState;
  /** Closes the server, its VOISA client and its shared state (not the sandbox). */
  close(): Promise<void>;
}

/**
 * An instance on an ephemeral loopback port in front of `sandbox`: started twice with shared state (Redis)
 * and the same secret, two instances of one deployment. Its VOISA client takes its request budget from
 * the shared state, as in production.
 */
export async function startInstance(
  sandbox: Sandbox,
  o: Partial<Omit<StartHttpOptions, 'api'>> = {},
): Promise<Instance> {
  const api = new VoisaClient({
    apiKey: o.serverKey,
    baseUrl: sandbox.baseUrl,
    rateLimitPerMin: 0,
    maxRetryDelayMs: 50,
    budgetFor: o.shared?.budgetFor,
  });
  const http = await startHttpServer({ host: '127.0.0.1', port: 0, api, ...o });
  return {
    http,
    api,
    shared: o.shared,
    async close() {
      await http.close(200);
      await api.close();
      await o.shared?.close();
    },
  };
}

export interface HttpClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/** An SDK client over streamable HTTP, with `Authorization: Bearer key` when a key is given. */
export async function connectHttp(url: string, key?: string): Promise<HttpClient> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: key ? { headers: { authorization: `Bearer ${key}` } } : {},
  });
  const client = new Client({ name: 'voisa-http-test', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return {
    client,
    transport,
    async close() {
      await client.close().catch(() => {});
    },
  };
}

/** A raw 2025-era `initialize` request of this protocol revision. */
export function initialize(protocolVersion = '2025-06-18') {
  return {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  };
}

export const INIT = initialize();

/** A raw POST to /mcp (JSON-RPC body), for the answers an SDK client would hide. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The text of a tool result's last text block. */
export function text(result: CallToolResult): string {
  const texts = result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text);
  return texts.at(-1) ?? '';
}

/** Resolves when `predicate` holds, polling; rejects after `ms`. */
export async function waitFor(predicate: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A POST through node:http, which (unlike fetch) lets a test set the Host header and
 * the local address it comes from (127.0.0.2… reach 127.0.0.1 on Linux).
 */
export function postWithHost(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  localAddress?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        localAddress,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': Buffer.byteLength(payload),
          ...headers,
        },
      },
      (res) => {
        let data = '';
        res.on('data', (c) => {
          data += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
        res.on('error', reject);
        if ((res.headers['content-type'] ?? '').includes('event-stream')) res.destroy();
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Parsed JSON of a response: tests assert on it rather than type it. */
export async function jsonOf(res: Response): Promise<any> {
  return res.json();
}

export interface SseClient {
  client: Client;
  transport: SSEClientTransport;
  /** True once the transport saw its stream end. */
  closed(): boolean;
  close(): Promise<void>;
}

/**
 * An SDK client over the old HTTP+SSE transport (GET /sse + POST /messages), the
 * way the AI SDK's `type: 'sse'` and `mcp-remote --transport sse-only` connect.
 */
export async function connectSse(url: string, key?: string): Promise<SseClient> {
  const transport = new SSEClientTransport(new URL(url), {
    requestInit: key ? { headers: { authorization: `Bearer ${key}` } } : {},
  });
  const client = new Client({ name: 'voisa-sse-test', version: '1.0.0' }, { capabilities: {} });
  let closed = false;
  client.onclose = () => {
    closed = true;
  };
  await client.connect(transport);
  return {
    client,
    transport,
    closed: () => closed,
    async close() {
      await client.close().catch(() => {});
    },
  };
}

export interface RawSse {
  status: number;
  headers: Headers;
  /** The body when the answer is not an event stream. */
  text: string;
  /** The endpoint event's data (the POST URL, relative). */
  endpoint: string;
  /** Parsed `message` events received so far. */
  messages: any[];
  /** True once the server ended the stream. */
  ended: boolean;
  /** Resolves with the first message event matching `predicate`. */
  next(predicate: (m: any) => boolean, ms?: number): Promise<any>;
  close(): void;
}

/** `GET /sse` by hand, reading the event stream: for what an SDK client would hide. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<RawSse> {
  const abort = new AbortController();
  const res = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const raw: RawSse = {
    status: res.status,
    headers: res.headers,
    text: '',
    endpoint: '',
    messages: [],
    ended: false,
    async next(predicate, ms = 3000) {
      await waitFor(() => raw.messages.some(predicate), ms, 'an SSE message');
      return raw.messages.find(predicate);
    },
    close: () => abort.abort(),
  };
  if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    raw.text = await res.text();
    return raw;
  }
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let gotEndpoint: () => void = () => {};
  const endpointSeen = new Promise<void>((resolve) => {
    gotEndpoint = resolve;
  });
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          raw.ended = true;
          return;
        }
        buffer += value;
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
          if (event === 'endpoint') {
            raw.endpoint = data;
            gotEndpoint();
          } else if (event === 'message') raw.messages.push(JSON.parse(data));
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  await Promise.race([endpointSeen, new Promise((r) => setTimeout(r, 3000))]);
  return raw;
}

/** Collects a client's resource updates and webhook log notifications as they arrive. */
export function watchWebhookNotifications(client: Client): { updates: string[]; logs: unknown[] } {
  const updates: string[] = [];
  const logs: unknown[] = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    if (n.params.logger === 'voisa.webhooks') logs.push(n.params.data);
  });
  return { updates, logs };
}

/**
 * POSTs `event` to `baseUrl`'s webhook receiver (the shared one, or `path`: an account's own), signed
 * with `secret` as VOISA signs it; the HTTP status.
 */
export async function postWebhook(
  baseUrl: string,
  event: object,
  secret: string,
  path = '/webhooks/voisa',
): Promise<number> {
  const raw = JSON.stringify(event);
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-voisa-signature': signWebhookBody(raw, secret) },
    body: raw,
  });
  await res.text();
  return res.status;
}
