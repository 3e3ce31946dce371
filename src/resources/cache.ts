/**
 * How long a 2026-07-28 client may keep a result (`ttlMs`) and who may share it (`cacheScope`).
 * Everything read from the account is `private`; only what every caller of this server sees alike
 * (the tool, prompt and template lists) is `public`. A finished call never changes again, a live one
 * changes by the second. 2025-era results carry no cache fields.
 */
import type { CacheHint, ServerOptions } from '@modelcontextprotocol/server';
import type { Extra } from './request.js';

const MINUTE = 60_000;

export const CACHE = {
  /** Lists that depend only on this server's configuration. */
  catalogue: { ttlMs: 60 * MINUTE, cacheScope: 'public' },
  /** The account's agents and conversations: new ones appear at any time. */
  accountList: { ttlMs: 30_000, cacheScope: 'private' },
  /** An agent's config: editable, by this server or the dashboard. */
  agent: { ttlMs: 10_000, cacheScope: 'private' },
  /** The account's voice catalogue. */
  voices: { ttlMs: 10 * MINUTE, cacheScope: 'private' },
  /** A call that has ended or failed (its record, transcript and recording). */
  finished: { ttlMs: 24 * 60 * MINUTE, cacheScope: 'private' },
  /** A call still in progress, and the recent-events feed. */
  live: { ttlMs: 0, cacheScope: 'private' },
} as const satisfies Record<string, CacheHint>;

/** Per-operation defaults for the server (a resource's own hint wins for its reads). */
export const CACHE_HINTS: NonNullable<ServerOptions['cacheHints']> = {
  'tools/list': CACHE.catalogue,
  'prompts/list': CACHE.catalogue,
  'resources/templates/list': CACHE.catalogue,
  'server/discover': CACHE.catalogue,
  'resources/list': CACHE.accountList,
  'resources/read': CACHE.live,
};

/** The hint for a conversation in this status. */
export function conversationCache(status: string | undefined): CacheHint {
  return status === 'ongoing' || status === undefined ? CACHE.live : CACHE.finished;
}

/** Puts the hint on a result, for 2026-07-28 requests only (their `_meta` envelope tells them apart). */
export function withCache<T extends object>(result: T, ctx: Extra, hint: CacheHint): T {
  return ctx.mcpReq.envelope === undefined ? result : { ...result, ...hint };
}
