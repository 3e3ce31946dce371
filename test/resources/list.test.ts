/**
 * resources/list: bounded pages with an opaque cursor, one API page per answer,
 * across agents then conversations (each with its transcript and recording).
 */
import type { Resource } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LIST_PAGE } from '../../src/resources/list.js';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0, callMs: 60_000 });
let mcp: Connected;
let ongoingId: string;

beforeAll(async () => {
  mcp = await connect(sandbox());
  // 60 more agents (65 in all), so that agents span two pages.
  for (let i = 0; i < 60; i++) await mcp.api.agents.create({ name: `Bulk agent ${i}` });
  const call = await mcp.api.calls.make({ agent_id: 'agt_bella0001', phone_number: '+49123456789' });
  ongoingId = String((call as { conversation_id: string }).conversation_id);
});
afterAll(() => mcp.close());

async function allPages(): Promise<{ pages: Resource[][]; cursors: string[] }> {
  const pages: Resource[][] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  do {
    const r = await mcp.client.listResources(cursor ? { cursor } : {});
    pages.push(r.resources);
    cursor = r.nextCursor;
    if (cursor) cursors.push(cursor);
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return { pages, cursors };
}

describe('resources/list', () => {
  it('pages through every agent and conversation, at most 50 entries a page', async () => {
    const agents = await mcp.api.agents.list({ limit: 100 });
    const conversations = await mcp.api.conversations.list({ limit: 100 });
    sandbox().clearRequests();

    const { pages } = await allPages();
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(MAX_LIST_PAGE);
    const all = pages.flat();
    const uris = all.map((r) => r.uri);
    expect(new Set(uris).size).toBe(uris.length);

    expect(pages[0]?.[0]).toMatchObject({ uri: 'voisa://voices', mimeType: 'application/json' });
    expect(uris.filter((u) => u.startsWith('voisa://agents/')).sort()).toEqual(
      agents.agents.map((a) => `voisa://agents/${a.id}`).sort(),
    );
    for (const c of conversations.conversations) {
      expect(uris).toContain(`voisa://conversations/${c.id}`);
      expect(uris).toContain(`voisa://conversations/${c.id}/transcript`);
      if (c.status === 'ongoing') expect(uris).not.toContain(`voisa://conversations/${c.id}/audio`);
      else expect(uris).toContain(`voisa://conversations/${c.id}/audio`);
    }
    expect(all.find((r) => r.uri === `voisa://conversations/${ongoingId}/transcript`)?.mimeType).toBe(
      'text/plain',
    );

    // One API call per page, never a page larger than 50 items upstream.
    const log = sandbox().requests();
    expect(log).toHaveLength(pages.length);
    for (const req of log) {
      expect(['/api/agents/list', '/api/conversations/list']).toContain(req.path);
      expect(Number(req.query.limit)).toBeLessThanOrEqual(MAX_LIST_PAGE);
    }
    expect(log.filter((r) => r.path === '/api/agents/list').map((r) => r.query.page)).toEqual(['1', '2']);
  });

  it('names each entry and keeps it short', async () => {
    const resources = (await allPages()).pages.flat();
    const bella = resources.find((r) => r.uri === 'voisa://agents/agt_bella0001');
    expect(bella).toMatchObject({ name: 'agt_bella0001', mimeType: 'application/json' });
    expect(bella?.title).toContain('(agent)');
  });

  it('uses opaque cursors and rejects a forged one', async () => {
    const { cursors } = await allPages();
    for (const c of cursors) expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    await expect(mcp.client.listResources({ cursor: 'not-a-cursor' })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('turns an API failure into an MCP error naming the code', async () => {
    sandbox().injectFault({
      path: '/api/agents/list',
      status: 403,
      code: 'INSUFFICIENT_PERMISSIONS',
      message: 'no',
    });
    await expect(mcp.client.listResources()).rejects.toMatchObject({
      code: -32603,
      message: expect.stringContaining('INSUFFICIENT_PERMISSIONS (403)'),
    });
  });
});
