/**
 * resources/list: a compact, paged listing. Each page carries the next few agents and the next few
 * conversations (newest first), so the first page already names the account's agents and its recent
 * calls; the first page also carries the static entries (the voice catalogue, `voisa://events` in HTTP
 * mode). Each conversation is listed once, as its record: its transcript and recording are reached
 * through the templates (resources/templates/list) and resources/read, not listed, since clients turn
 * every listed entry into something (a tool for the model, an @-mention, a start-up page fetch).
 *
 * The MCP Apps views (`ui://voisa/…`) are not listed either: hosts find them through the tools'
 * `_meta.ui.resourceUri`, and the extension lets a server leave UI-only resources out of the list.
 *
 * `nextCursor` is opaque: a position (the next agents page, the next conversations page), the time it
 * was issued and a checksum. A cursor this server did not issue, edited, from an older format, or older
 * than CURSOR_TTL_MS (page positions drift as calls arrive) is an InvalidParams error naming it.
 */
import { createHash } from 'node:crypto';
import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { agentEntry } from './agents.js';
import { conversationEntry } from './conversations.js';
import { toMcpError } from './errors.js';
import { type Reachable, reachesAll } from './reach.js';
import { type ApiDeps, optionsFor } from './request.js';
import { AGENT_TEMPLATE, CONVERSATION_TEMPLATE } from './uris.js';
import { VOICES_ENTRY } from './voices.js';

/**
 * Most entries on a page: the static ones (at most 3: voices, policy, events) on the first, plus one
 * API page of each kind.
 */
export const LIST_PAGE_SIZE = 25;
export const AGENTS_PER_PAGE = 8;
export const CONVERSATIONS_PER_PAGE = LIST_PAGE_SIZE - AGENTS_PER_PAGE - 3;
/** How long a cursor is accepted. */
export const CURSOR_TTL_MS = 15 * 60_000;
/** Clock difference tolerated between the instance that issued a cursor and the one reading it. */
const CLOCK_SKEW_MS = 60_000;
const MAX_CURSOR_CHARS = 200;

/** Where the next page starts: the API page of agents and of conversations (0: none left), issued at `t`. */
const Position = z
  .object({ v: z.literal(2), a: z.number().int().min(0), c: z.number().int().min(0), t: z.number().int() })
  .strict();
export type Position = Pick<z.infer<typeof Position>, 'a' | 'c'>;

const checksum = (body: string) =>
  createHash('sha256').update(`voisa-mcp resources/list\n${body}`).digest('base64url').slice(0, 12);

export function encodeCursor(at: Position, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ v: 2, a: at.a, c: at.c, t: now })).toString('base64url');
  return `${body}.${checksum(body)}`;
}

function invalidCursor(cursor: string, reason: string): ProtocolError {
  const shown = cursor.length > 48 ? `${cursor.slice(0, 48)}…` : cursor;
  return new ProtocolError(
    ProtocolErrorCode.InvalidParams,
    `Invalid cursor "${shown}": ${reason}. Call resources/list without a cursor to start again from the first page.`,
    { cursor: shown },
  );
}

export function decodeCursor(cursor: string, now = Date.now()): Position {
  const [body, sum, ...rest] = cursor.split('.');
  if (cursor.length > MAX_CURSOR_CHARS || !body || rest.length > 0 || sum !== checksum(body)) {
    throw invalidCursor(cursor, 'not a nextCursor this server issued (pass it back unchanged)');
  }
  let at: z.infer<typeof Position>;
  try {
    at = Position.parse(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')));
  } catch {
    throw invalidCursor(cursor, 'issued by another version of this server');
  }
  if (now - at.t > CURSOR_TTL_MS || at.t - now > CLOCK_SKEW_MS) {
    throw invalidCursor(
      cursor,
      `expired (cursors last ${CURSOR_TTL_MS / 60_000} minutes; the list may have changed)`,
    );
  }
  return at;
}

interface Section {
  entries: Resource[];
  more: boolean;
}

/**
 * One API page of a kind (`page` 0: none left, or not reachable); more when the API says so (or,
 * without pagination, when the page was full).
 */
async function section<T>(
  kind: 'agents' | 'conversations',
  page: number,
  limit: number,
  fetch: (q: { page: number; limit: number }) => Promise<{ rows: T[]; pages?: number }>,
  entry: (row: T) => Resource,
  signIn: ApiDeps['signIn'],
): Promise<Section> {
  if (page === 0) return { entries: [], more: false };
  try {
    const r = await fetch({ page, limit });
    const more = r.pages !== undefined ? page < r.pages : r.rows.length === limit;
    return { entries: r.rows.map(entry), more: more && r.rows.length > 0 };
  } catch (err) {
    throw toMcpError(err, `voisa://${kind}`, signIn);
  }
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
    const cursor = request.params?.cursor;
    const at: Position = cursor ? decodeCursor(cursor) : { a: 1, c: 1 };
    const options = optionsFor(deps, ctx);
    const [agents, conversations] = await Promise.all([
      section(
        'agents',
        lists.agents ? at.a : 0,
        AGENTS_PER_PAGE,
        async (q) => {
          const r = await deps.api.agents.list(q, options);
          return { rows: r.agents, pages: r.pagination?.pages };
        },
        agentEntry,
        deps.signIn,
      ),
      section(
        'conversations',
        lists.conversations ? at.c : 0,
        CONVERSATIONS_PER_PAGE,
        async (q) => {
          const r = await deps.api.conversations.list(q, options);
          return { rows: r.conversations, pages: r.pagination?.pages };
        },
        conversationEntry,
        deps.signIn,
      ),
    ]);
    const resources = [...(cursor ? [] : first), ...agents.entries, ...conversations.entries];
    const next = { a: agents.more ? at.a + 1 : 0, c: conversations.more ? at.c + 1 : 0 };
    return next.a || next.c ? { resources, nextCursor: encodeCursor(next) } : { resources };
  });
}
