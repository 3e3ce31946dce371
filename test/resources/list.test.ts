/**
 * resources/list: a compact listing (the voice catalogue, each agent once, each conversation once as
 * its record, newest first; no transcripts, recordings or views), at most 25 entries a page, and an
 * opaque, checked cursor for the rest. Runs on both protocol generations (vitest.config.ts).
 */
import type { Resource } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENTS_PER_PAGE,
  CONVERSATIONS_PER_PAGE,
  CURSOR_TTL_MS,
  encodeCursor,
  LIST_PAGE_SIZE,
} from '../../src/resources/list.js';
import { SECOND_KEY } from '../../src/sandbox/seed.js';
import { type Connected, connect, GENERATION } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

type Listing = { resources: Resource[]; nextCursor?: string };

async function allPages(
  mcp: Connected,
  cursor?: string,
): Promise<{ pages: Resource[][]; cursors: string[] }> {
  const pages: Resource[][] = [];
  const cursors: string[] = [];
  do {
    const r = (await mcp.client.listResources(cursor ? { cursor } : {})) as Listing;
    pages.push(r.resources);
    cursor = r.nextCursor;
    if (cursor) cursors.push(cursor);
    expect(pages.length).toBeLessThan(20);
  } while (cursor);
  return { pages, cursors };
}

const uris = (rs: Resource[]) => rs.map((r) => r.uri);
const agentUris = (api: Connected['api']) =>
  api.agents.list({ limit: 100 }).then((r) => r.agents.map((a) => `voisa://agents/${a.id}`));
/** The account's conversations as resource URIs, newest first (the API's order). */
const conversationUris = (api: Connected['api']) =>
  api.conversations
    .list({ limit: 100 })
    .then((r) => r.conversations.map((c) => `voisa://conversations/${c.id}`));

/**
 * Nothing but the voice catalogue, the call policy, agents and conversation records: no transcript,
 * recording or view.
 */
function expectCompact(rs: Resource[]): void {
  for (const uri of uris(rs)) {
    expect(uri).toMatch(/^voisa:\/\/(voices|policy|events|agents\/[^/]+|conversations\/[^/]+)$/);
  }
}

describe('resources/list on the sandbox account as seeded', () => {
  const sandbox = useSandbox({ rateLimitPerMin: 0 });
  let mcp: Connected;
  beforeAll(async () => {
    mcp = await connect(sandbox());
  });
  afterAll(() => mcp?.close());

  it('first page: the voice catalogue, every agent, the most recent conversations once each', async () => {
    const agents = await agentUris(mcp.api);
    const conversations = await conversationUris(mcp.api);
    const first = (await mcp.client.listResources()) as Listing;
    expectCompact(first.resources);
    expect(uris(first.resources)).toEqual([
      'voisa://voices',
      'voisa://policy',
      ...agents,
      ...conversations.slice(0, CONVERSATIONS_PER_PAGE),
    ]);
    expect(first.resources.length).toBeLessThanOrEqual(LIST_PAGE_SIZE);
    expect(first.nextCursor).toBeDefined();

    const { pages } = await allPages(mcp);
    const total = pages.flat().length;
    expect(total).toBe(2 + agents.length + conversations.length);
    console.error(
      `[${GENERATION}] resources/list on the sandbox account: ${first.resources.length} entries on the first page, ` +
        `${total} over ${pages.length} pages (${agents.length} agents, ${conversations.length} conversations)`,
    );
  });
});

describe('resources/list over many agents and conversations', () => {
  const sandbox = useSandbox({ rateLimitPerMin: 0, callMs: 60_000 });
  let mcp: Connected;
  let ongoingId: string;

  beforeAll(async () => {
    mcp = await connect(sandbox());
    // 20 more agents (25 in all): agents span four pages, conversations (31) three.
    for (let i = 0; i < 20; i++) await mcp.api.agents.create({ name: `Bulk agent ${i}` });
    const call = await mcp.api.calls.make({ agent_id: 'agt_bella0001', phone_number: '+49123456789' });
    ongoingId = String((call as { conversation_id: string }).conversation_id);
  });
  afterAll(() => mcp?.close());

  it('following nextCursor reaches every agent and every conversation exactly once', async () => {
    const agents = await agentUris(mcp.api);
    const conversations = await conversationUris(mcp.api);
    expect(conversations).toContain(`voisa://conversations/${ongoingId}`);
    sandbox().clearRequests();

    const { pages } = await allPages(mcp);
    for (const page of pages) expect(page.length).toBeLessThanOrEqual(LIST_PAGE_SIZE);
    const all = uris(pages.flat());
    expect(new Set(all).size).toBe(all.length);
    expectCompact(pages.flat());
    expect(all.filter((u) => u.startsWith('voisa://agents/'))).toEqual(agents);
    expect(all.filter((u) => u.startsWith('voisa://conversations/'))).toEqual(conversations);
    expect(all.filter((u) => u === 'voisa://voices')).toHaveLength(1);
    expect(pages[0]?.[0]?.uri).toBe('voisa://voices');
    // Each page: the next agents and the next conversations, newest first.
    expect(uris(pages[0]!).filter((u) => u.startsWith('voisa://conversations/'))).toEqual(
      conversations.slice(0, CONVERSATIONS_PER_PAGE),
    );

    // At most one API page of each kind per list page, never more than a page's worth upstream.
    const log = sandbox().requests();
    const pagesOf = (path: string) => log.filter((r) => r.path === path);
    expect(pagesOf('/api/agents/list').map((r) => r.query.page)).toEqual(['1', '2', '3', '4']);
    expect(pagesOf('/api/conversations/list').map((r) => r.query.page)).toEqual(['1', '2', '3']);
    for (const r of pagesOf('/api/agents/list')) expect(r.query.limit).toBe(String(AGENTS_PER_PAGE));
    for (const r of pagesOf('/api/conversations/list'))
      expect(r.query.limit).toBe(String(CONVERSATIONS_PER_PAGE));
    expect(log).toHaveLength(7);
  });

  it('names each entry and keeps it short', async () => {
    const resources = (await allPages(mcp)).pages.flat();
    const bella = resources.find((r) => r.uri === 'voisa://agents/agt_bella0001');
    expect(bella).toMatchObject({ name: 'agt_bella0001', mimeType: 'application/json' });
    expect(bella?.title).toContain('(agent)');
    const ongoing = resources.find((r) => r.uri === `voisa://conversations/${ongoingId}`);
    expect(ongoing).toMatchObject({ name: ongoingId, mimeType: 'application/json' });
    expect(ongoing?.title).toMatch(/^call \d{4}-\d\d-\d\d \d\d:\d\d \(ongoing\)$/);
  });

  it('keeps transcripts and recordings reachable: templates list them, reads and completions work', async () => {
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(
      expect.arrayContaining([
        'voisa://conversations/{conversation_id}/transcript',
        'voisa://conversations/{conversation_id}/audio',
      ]),
    );
    const listed = (await mcp.client.listResources()) as Listing;
    const ended = (await mcp.api.conversations.list({ status: 'success', limit: 1 })).conversations[0]!;
    const record = `voisa://conversations/${ended.id}`;
    expect(uris(listed.resources)).toContain(record);
    const read = await mcp.client.readResource({ uri: record });
    const view = JSON.parse((read.contents[0] as { text: string }).text);
    expect(view).toMatchObject({ transcript_uri: `${record}/transcript`, audio_uri: `${record}/audio` });

    const transcript = await mcp.client.readResource({ uri: view.transcript_uri });
    expect(transcript.contents[0]).toMatchObject({ uri: view.transcript_uri, mimeType: 'text/plain' });
    expect((transcript.contents[0] as { text: string }).text).toMatch(/^\[\d\d:\d\d:\d\d\] (agent|user): /m);
    const audio = await mcp.client.readResource({ uri: view.audio_uri });
    expect(audio.contents[0]).toMatchObject({ uri: view.audio_uri, mimeType: 'audio/mpeg' });
    expect((audio.contents[0] as { blob: string }).blob.length).toBeGreaterThan(0);

    const completion = await mcp.client.complete({
      ref: { type: 'ref/resource', uri: 'voisa://conversations/{conversation_id}/audio' },
      argument: { name: 'conversation_id', value: ended.id.slice(0, 8) },
    });
    expect(completion.completion.values).toContain(ended.id);
  });

  it('uses opaque cursors and rejects a bad, edited, old-format or expired one, naming it', async () => {
    const { cursors } = await allPages(mcp);
    for (const c of cursors) expect(c).toMatch(/^[A-Za-z0-9_.-]+$/);
    const [body, sum] = cursors[0]!.split('.');
    const position = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
    const edited = `${Buffer.from(JSON.stringify({ ...position, c: 3 })).toString('base64url')}.${sum}`;
    const oldFormat = Buffer.from(JSON.stringify({ k: 'conversations', p: 2 })).toString('base64url');
    const expired = encodeCursor({ a: 0, c: 2 }, Date.now() - CURSOR_TTL_MS - 60_000);
    const cases: [string, RegExp][] = [
      ['not-a-cursor', /not a nextCursor this server issued/],
      [edited, /not a nextCursor this server issued/],
      [oldFormat, /not a nextCursor this server issued/],
      [`${cursors[0]}x`, /not a nextCursor this server issued/],
      [expired, /expired/],
    ];
    for (const [cursor, reason] of cases) {
      const refused = mcp.client.listResources({ cursor });
      await expect(refused, cursor).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining(`Invalid cursor "${cursor.slice(0, 20)}`),
      });
      await expect(mcp.client.listResources({ cursor })).rejects.toThrow(reason);
      await expect(mcp.client.listResources({ cursor })).rejects.toThrow(/without a cursor/);
    }
    // The same position, issued now, is served: it is the age that was refused.
    const fresh = (await mcp.client.listResources({ cursor: encodeCursor({ a: 0, c: 2 }) })) as Listing;
    expect(fresh.resources).toHaveLength(CONVERSATIONS_PER_PAGE);
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

  describe('per account and per grant', () => {
    let second: Connected;
    let callsOnly: Connected;
    beforeAll(async () => {
      second = await connect(sandbox(), { key: SECOND_KEY });
      callsOnly = await connect(sandbox(), { scopes: ['voisa:calls'] });
    });
    afterAll(async () => {
      await second?.close();
      await callsOnly?.close();
    });

    it('each key lists its own account only, also when handed the other account’s cursor', async () => {
      const mine = uris((await allPages(mcp)).pages.flat());
      const { pages, cursors } = await allPages(second);
      const theirs = uris(pages.flat());
      const own = [...(await agentUris(second.api)), ...(await conversationUris(second.api))];
      const accountOwn = (u: string) => u !== 'voisa://voices' && u !== 'voisa://policy';
      expect(theirs.filter(accountOwn).sort()).toEqual(own.sort());
      expect(theirs.filter((u) => accountOwn(u) && mine.includes(u))).toEqual([]);
      expect(cursors).toEqual([]); // 3 agents and 14 calls: one page

      // A cursor is a position, not an account: whoever sends it gets that position of their own list.
      const demoCursor = (await allPages(mcp)).cursors[0]!;
      const replayed = (await second.client.listResources({ cursor: demoCursor })) as Listing;
      for (const uri of uris(replayed.resources)) expect(own).toContain(uri);
      const start = (await second.client.listResources({ cursor: encodeCursor({ a: 1, c: 1 }) })) as Listing;
      expect(uris(start.resources).sort()).toEqual(own.sort());
    });

    it('a grant without voisa:read lists no agent, conversation or view: only the policy it calls under', async () => {
      const { pages } = await allPages(callsOnly);
      expect(uris(pages.flat())).toEqual(['voisa://policy']);
      const cursor = (await allPages(mcp)).cursors[0]!;
      expect(((await callsOnly.client.listResources({ cursor })) as Listing).resources).toEqual([]);
    });
  });
});
