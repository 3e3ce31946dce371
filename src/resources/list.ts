import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { agentEntry } from './agents.js';
import { conversationEntries } from './conversations.js';
import { toMcpError } from './errors.js';
import { type Reachable, reachesAll } from './reach.js';
import { type ApiDeps, optionsFor } from './request.js';
import { AGENT_TEMPLATE, CONVERSATION_TEMPLATE } from './uris.js';
import { VOICES_ENTRY } from './voices.js';

export const MAX_LIST_PAGE = 50;
const AGENTS_PER_PAGE = MAX_LIST_PAGE - 5; // room for the voice catalogue, voisa://events and 3 views
const CONVERSATIONS_PER_PAGE = Math.floor(MAX_LIST_PAGE / 3);

const KINDS = ['agents', 'conversations'] as const;
const Cursor = z.object({ k: z.enum(KINDS), p: z.number().int().min(1) });
type Cursor = z.infer<typeof Cursor>;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(cursor: string): Cursor {
  try {
    return Cursor.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      'Invalid cursor: pass nextCursor from the previous resources/list',
    );
  }
}

function hasMore(page: number, rows: number, limit: number, pages: number | undefined): boolean {
  return pages !== undefined ? page < pages : rows === limit;
}

/** Lists what `reach` allows: the static entries it reaches, and agents and conversations only when it reads them. */
export function registerResourceList(
  mcp: McpServer,
  deps: ApiDeps,
  staticEntries: Resource[] = [],
  reach: Reachable = reachesAll,
): void {
  const first = [VOICES_ENTRY, ...staticEntries].filter((e) => reach(e.uri));
  const lists = { agents: reach(AGENT_TEMPLATE), conversations: reach(CONVERSATION_TEMPLATE) };
  mcp.server.setRequestHandler('resources/list', async (request, ctx) => {
    const at = request.params?.cursor ? decodeCursor(request.params.cursor) : { k: 'agents' as const, p: 1 };
    const options = optionsFor(deps, ctx);
    const resources: Resource[] = [];
    let more = false;
    try {
      if (at.k === 'agents') {
        if (at.p === 1) resources.push(...first);
        if (lists.agents) {
          const r = await deps.api.agents.list({ page: at.p, limit: AGENTS_PER_PAGE }, options);
          resources.push(...r.agents.map(agentEntry));
          more = hasMore(at.p, r.agents.length, AGENTS_PER_PAGE, r.pagination?.pages);
        }
      } else if (lists.conversations) {
        const r = await deps.api.conversations.list({ page: at.p, limit: CONVERSATIONS_PER_PAGE }, options);
        resources.push(...r.conversations.flatMap(conversationEntries));
        more = hasMore(at.p, r.conversations.length, CONVERSATIONS_PER_PAGE, r.pagination?.pages);
      }
    } catch (err) {
      throw toMcpError(err, `voisa://${at.k}`, deps.signIn);
    }
    const next: Cursor | undefined = more
      ? { k: at.k, p: at.p + 1 }
      : at.k === 'agents' && lists.conversations
        ? { k: 'conversations', p: 1 }
        : undefined;
    return next ? { resources, nextCursor: encodeCursor(next) } : { resources };
  });
}
