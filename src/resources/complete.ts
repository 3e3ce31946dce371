/**
 * Id completion from the API: prefix match over the first pages of a list,
 * cached briefly because clients ask on every keystroke (and the API is rate
 * limited). The SDK sends at most 100 values and sets `hasMore` past that.
 */
import type { VoisaClient } from '../voisa/index.js';

/** Items per API page while scanning (the API's maximum). */
const SCAN_LIMIT = 100;
const CACHE_MS = 30_000;

export type Completer = (value: string) => Promise<string[]>;

interface ScanPage {
  ids: string[];
  pages?: number;
}

/**
 * A completer over ids from `fetchPage`, scanning at most `maxPages` pages. Past
 * that scan, ids are not offered (bounded work per keystroke).
 */
export function idCompleter(
  fetchPage: (page: number, limit: number) => Promise<ScanPage>,
  maxPages: number,
): Completer {
  let cached: { at: number; ids: Promise<string[]> } | undefined;
  const scan = async (): Promise<string[]> => {
    const ids: string[] = [];
    for (let page = 1; page <= maxPages; page++) {
      const result = await fetchPage(page, SCAN_LIMIT);
      ids.push(...result.ids);
      const last = result.pages !== undefined ? page >= result.pages : result.ids.length < SCAN_LIMIT;
      if (last) break;
    }
    return ids;
  };
  return async (value) => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const ids = scan();
      cached = { at: Date.now(), ids };
      ids.catch(() => {
        cached = undefined;
      });
    }
    let ids: string[];
    try {
      ids = await cached.ids;
    } catch {
      return []; // completion is best effort: a failing API offers nothing
    }
    const prefix = value.toLowerCase();
    return ids.filter((id) => id.toLowerCase().startsWith(prefix));
  };
}

export interface IdCompleters {
  agentIds: Completer;
  conversationIds: Completer;
}

/** Agents: up to 5 pages; conversations: the 3 most recent pages. */
/** One cache per VOISA client, so that servers built per request (2026-07-28) share it. */
const completersOf = new WeakMap<VoisaClient, IdCompleters>();

export function idCompleters(api: VoisaClient): IdCompleters {
  let completers = completersOf.get(api);
  if (!completers) {
    completers = newIdCompleters(api);
    completersOf.set(api, completers);
  }
  return completers;
}

function newIdCompleters(api: VoisaClient): IdCompleters {
  return {
    agentIds: idCompleter(async (page, limit) => {
      const r = await api.agents.list({ page, limit });
      return { ids: r.agents.map((a) => a.id), pages: r.pagination?.pages };
    }, 5),
    conversationIds: idCompleter(async (page, limit) => {
      const r = await api.conversations.list({ page, limit });
      return { ids: r.conversations.map((c) => c.id), pages: r.pagination?.pages };
    }, 3),
  };
}
