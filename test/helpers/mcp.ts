/**
 * A real SDK `Client` connected to `createServer()`, with a real VOISA client pointed at a sandbox
 * over loopback. Which protocol generation depends on `VOISA_TEST_GENERATION` (vitest runs these
 * suites once per generation, see vitest.config.ts):
 * - `2025-11-25` (default): SDK 1.32's `Client` over the SDK's in-memory linked transport, one session;
 * - `2026-07-28`: SDK v2's `Client` pinned to 2026-07-28, over streamable HTTP whose fetch is the
 *   serving entry `createMcpHandler(() => createServer(...))` in-process: a fresh server per request,
 *   `input_required` confirmations, per-request log level (what `setLoggingLevel` set is sent in each
 *   request's `_meta`, as 2026-07-28 clients do).
 */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
  type ResponseCacheStore,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  type CallToolResult,
  type ClientCapabilities,
  ElicitRequestSchema,
  type ElicitResult,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createMcpHandler, LOG_LEVEL_META_KEY, type McpServer } from '@modelcontextprotocol/server';
import { createServer, type ServerDeps } from '../../src/mcp/server.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { VoisaClient, type VoisaClientConfig } from '../../src/voisa/index.js';

export interface Connected {
  client: Client;
  server: McpServer;
  api: VoisaClient;
  close(): Promise<void>;
}

export interface ConnectOptions extends Omit<Partial<ServerDeps>, 'api'> {
  key?: string;
  clientConfig?: Partial<VoisaClientConfig>;
  /** Answer to elicitation requests; the client then declares the elicitation capability. */
  elicit?: (message: string) => ElicitResult;
  /** file:// roots the client declares. */
  roots?: string[];
}

export type Generation = '2026-07-28' | '2025-11-25';
export const GENERATION: Generation =
  process.env.VOISA_TEST_GENERATION === '2026-07-28' ? '2026-07-28' : '2025-11-25';

/** A real VOISA client on the sandbox: no client-side rate limit, short retry pauses. */
function sandboxClient(sandbox: Sandbox, key?: string, config?: Partial<VoisaClientConfig>): VoisaClient {
  return new VoisaClient({
    apiKey: key ?? sandbox.demoKey,
    baseUrl: sandbox.baseUrl,
    rateLimitPerMin: 0,
    maxRetryDelayMs: 50,
    ...config,
  });
}

export async function connect(sandbox: Sandbox, opts: ConnectOptions = {}): Promise<Connected> {
  if (GENERATION === '2026-07-28') return connectModern(sandbox, opts);
  const { key, clientConfig, elicit, roots, ...deps } = opts;
  const api = sandboxClient(sandbox, key, clientConfig);
  const server = createServer({ api, ...deps });
  const capabilities: ClientCapabilities = {};
  if (elicit) capabilities.elicitation = { form: {} };
  if (roots) capabilities.roots = { listChanged: false };
  const client = new Client({ name: 'voisa-test', version: '1.0.0' }, { capabilities });
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, (req) => elicit(req.params.message));
  }
  if (roots) {
    client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: roots.map((uri) => ({ uri })) }));
  }
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return {
    client,
    server,
    api,
    async close() {
      await client.close();
      await server.close();
      await api.close();
    },
  };
}

const NO_CACHE: ResponseCacheStore = {
  get: () => undefined,
  set: () => 0,
  delete: () => {},
  evict: () => {},
  clear: () => {},
};

/**
 * The 2026-07-28 connection behind the same `Connected` face: the v2 client is wrapped so the tests'
 * 1.32-style calls (`setNotificationHandler(Schema, fn)`, `setLoggingLevel`) keep working.
 */
async function connectModern(sandbox: Sandbox, opts: ConnectOptions): Promise<Connected> {
  const { key, clientConfig, elicit, roots, ...deps } = opts;
  const api = sandboxClient(sandbox, key, clientConfig);
  const servers: McpServer[] = [];
  const handler = createMcpHandler(
    () => {
      const server = createServer({ api, ...deps });
      servers.push(server);
      return server;
    },
    { legacy: 'reject' },
  );
  let logLevel: string | undefined;
  // The level a 2026-07-28 client wants travels in each request's `_meta`.
  const fetchInProcess = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    let body = init?.body;
    if (logLevel && typeof body === 'string') {
      const message = JSON.parse(body);
      if (message.params?._meta) message.params._meta[LOG_LEVEL_META_KEY] = logLevel;
      body = JSON.stringify(message);
    }
    return handler.fetch(new Request(url, { ...init, body }));
  };
  const capabilities: Record<string, object> = {};
  if (elicit) capabilities.elicitation = { form: {} };
  if (roots) capabilities.roots = { listChanged: false };
  const client = new ModernClient(
    { name: 'voisa-test-2026', version: '1.0.0' },
    {
      capabilities,
      versionNegotiation: { mode: { pin: '2026-07-28' } },
      // These suites check what the server answers each time, so nothing is served from the client's
      // response cache (the cache hints themselves are checked in test/generations).
      responseCacheStore: NO_CACHE,
    },
  );
  if (elicit) client.setRequestHandler('elicitation/create', (req) => elicit(req.params.message) as never);
  if (roots) client.setRequestHandler('roots/list', () => ({ roots: roots.map((uri) => ({ uri })) }));
  await client.connect(new ModernHttp(new URL('http://voisa.test/mcp'), { fetch: fetchInProcess }));

  const facade = new Proxy(client, {
    get(target, prop, receiver) {
      if (prop === 'setNotificationHandler') {
        return (schema: { shape: { method: { value: string } } } | string, fn: (n: unknown) => void) =>
          target.setNotificationHandler(
            (typeof schema === 'string' ? schema : schema.shape.method.value) as never,
            fn as never,
          );
      }
      if (prop === 'callTool') {
        // 1.32 takes (params, resultSchema, options); v2 takes (params, options).
        return (params: never, ...rest: unknown[]) =>
          target.callTool(params, (rest.length > 1 ? rest[1] : rest[0]) as never);
      }
      if (prop === 'listResources') {
        // One page per call, as 1.32 does (v2's verb would walk every page at once).
        return (params?: Record<string, unknown>) =>
          target.request({ method: 'resources/list', params: params ?? {} });
      }
      if (prop === 'setLoggingLevel') {
        return async (level: string) => {
          logLevel = level;
          return {};
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    client: facade as unknown as Client,
    // No one server: 2026-07-28 builds one per request; this is the latest.
    get server() {
      return servers.at(-1)!;
    },
    api,
    async close() {
      await client.close();
      await handler.close();
      await api.close();
    },
  };
}

/** The text of a tool result's last text block (the JSON, after any untrusted-data note). */
export function resultText(result: CallToolResult): string {
  const texts = result.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text);
  return texts.at(-1) ?? '';
}

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}
