/**
 * resources/list over HTTP (where `voisa://events` is listed too), for a 2026-07-28 client (SDK v2) and
 * a 2025-11-25 client (SDK 1.32) on a server without a key of its own: each bearer key lists its own
 * account, compactly (each agent and conversation once; no transcript, recording or view), page by page.
 */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSATIONS_PER_PAGE, LIST_PAGE_SIZE } from '../../src/resources/list.js';
import { DEMO_KEY, SECOND_KEY } from '../../src/sandbox/seed.js';
import { GENERATIONS, type Generation } from '../helpers/generations.js';
import { type Stack, startStack } from './helpers.js';

interface Page {
  resources: { uri: string }[];
  nextCursor?: string;
}

interface Lister {
  page(cursor?: string): Promise<Page>;
  close(): Promise<void>;
}

async function lister(generation: Generation, url: string, key: string): Promise<Lister> {
  const requestInit = { headers: { authorization: `Bearer ${key}` } };
  if (generation === '2026-07-28') {
    const client = new ModernClient(
      { name: 'list-2026', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new ModernHttp(new URL(url), { requestInit }));
    return {
      // One page per request (the v2 client's listResources would walk them all).
      page: (cursor) =>
        client.request({ method: 'resources/list', params: cursor ? { cursor } : {} }) as Promise<Page>,
      close: () => client.close(),
    };
  }
  const client = new LegacyClient({ name: 'list-2025', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new LegacyHttp(new URL(url), { requestInit }));
  return { page: (cursor) => client.listResources(cursor ? { cursor } : {}), close: () => client.close() };
}

async function allPages(c: Lister): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const page = await c.page(cursor);
    pages.push(page);
    cursor = page.nextCursor;
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return pages;
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ serverKey: null });
});
afterAll(() => stack?.close());

/** The account's agents and conversations (newest first) as resource URIs. */
async function accountUris(key: string): Promise<{ agents: string[]; conversations: string[] }> {
  const api = stack.api.withApiKey(key);
  const agents = (await api.agents.list({ limit: 100 })).agents.map((a) => `voisa://agents/${a.id}`);
  const conversations = (await api.conversations.list({ limit: 100 })).conversations.map(
    (c) => `voisa://conversations/${c.id}`,
  );
  return { agents, conversations };
}

describe.each(GENERATIONS)('a %s client over HTTP', (generation) => {
  it('lists the sandbox account compactly, page by page, each entry once', async () => {
    const { agents, conversations } = await accountUris(DEMO_KEY);
    const c = await lister(generation, stack.http.mcpUrl, DEMO_KEY);
    try {
      const pages = await allPages(c);
      const first = pages[0]!.resources.map((r) => r.uri);
      expect(first).toEqual([
        'voisa://voices',
        'voisa://policy',
        'voisa://events',
        ...agents,
        ...conversations.slice(0, CONVERSATIONS_PER_PAGE),
      ]);
      const all = pages.flatMap((p) => p.resources.map((r) => r.uri));
      for (const p of pages) expect(p.resources.length).toBeLessThanOrEqual(LIST_PAGE_SIZE);
      expect(all).toEqual([
        'voisa://voices',
        'voisa://policy',
        'voisa://events',
        ...agents,
        ...conversations,
      ]);
      console.error(
        `[${generation}] resources/list over HTTP on the sandbox account: ${first.length} entries on the first page, ` +
          `${all.length} over ${pages.length} pages`,
      );

      await expect(c.page('forged')).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining('Invalid cursor "forged"'),
      });
    } finally {
      await c.close();
    }
  });

  it('lists only the account of the bearer key', async () => {
    const demo = await accountUris(DEMO_KEY);
    const second = await accountUris(SECOND_KEY);
    const c = await lister(generation, stack.http.mcpUrl, SECOND_KEY);
    try {
      const all = (await allPages(c)).flatMap((p) => p.resources.map((r) => r.uri));
      expect(all).toEqual([
        'voisa://voices',
        'voisa://policy',
        'voisa://events',
        ...second.agents,
        ...second.conversations,
      ]);
      expect(all.filter((u) => [...demo.agents, ...demo.conversations].includes(u))).toEqual([]);
    } finally {
      await c.close();
    }
  });
});
