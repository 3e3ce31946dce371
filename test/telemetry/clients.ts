/**
 * The two client generations over HTTP with what `test/helpers/generations.ts` does not expose: a
 * request's own `_meta` (the W3C `traceparent` a client sends for its trace).
 */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Generation } from '../helpers/generations.js';

export interface MetaClient {
  call(
    name: string,
    args: Record<string, unknown>,
    meta?: Record<string, unknown>,
  ): Promise<{ isError?: boolean; content: { type: string; text?: string }[] }>;
  read(uri: string, meta?: Record<string, unknown>): Promise<{ contents: { uri: string; text?: string }[] }>;
  close(): Promise<void>;
}

/** What both SDK clients offer for calls and reads with `_meta` (their own types differ in detail). */
interface AnySdkClient {
  callTool(params: {
    name: string;
    arguments: Record<string, unknown>;
    _meta?: Record<string, unknown>;
  }): Promise<unknown>;
  readResource(params: { uri: string; _meta?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

function withMeta(client: AnySdkClient): MetaClient {
  return {
    call: async (name, args, meta) =>
      (await client.callTool({ name, arguments: args, ...(meta ? { _meta: meta } : {}) })) as never,
    read: async (uri, meta) =>
      (await client.readResource({ uri, ...(meta ? { _meta: meta } : {}) })) as never,
    close: () => client.close(),
  };
}

export async function connectWithMeta(generation: Generation, url: string, key: string): Promise<MetaClient> {
  const requestInit = { headers: { authorization: `Bearer ${key}` } };
  if (generation === '2026-07-28') {
    const client = new ModernClient(
      { name: 'telemetry-test-2026', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new ModernHttp(new URL(url), { requestInit }));
    return withMeta(client as unknown as AnySdkClient);
  }
  const client = new LegacyClient({ name: 'telemetry-test-2025', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new LegacyHttp(new URL(url), { requestInit }));
  return withMeta(client as unknown as AnySdkClient);
}

/** A fresh W3C trace context: the ids a client's own span would have. */
export function newTraceparent(): { traceId: string; parentId: string; traceparent: string } {
  const hex = (n: number) =>
    [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, '0')).join('');
  const traceId = hex(16);
  const parentId = hex(8);
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}
