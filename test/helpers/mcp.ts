/**
 * A real SDK `Client` connected to `createServer()` through the SDK's in-memory
 * linked transport, with a real VOISA client pointed at a sandbox over loopback.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type CallToolResult,
  type ClientCapabilities,
  ElicitRequestSchema,
  type ElicitResult,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Sandbox } from '../../src/sandbox/index.js';
import { createServer, type ServerDeps } from '../../src/server.js';
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

export async function connect(sandbox: Sandbox, opts: ConnectOptions = {}): Promise<Connected> {
  const { key, clientConfig, elicit, roots, ...deps } = opts;
  const api = new VoisaClient({
    apiKey: key ?? sandbox.demoKey,
    baseUrl: sandbox.baseUrl,
    rateLimitPerMin: 0,
    maxRetryDelayMs: 50,
    ...clientConfig,
  });
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
