/**
 * What an OAuth grant lets a client do: three scopes over the tool catalogue, intersected with the
 * permissions of the VOISA key the user signed in with. Pure data; knows nothing of OAuth machinery.
 */
import type { AnyTool } from './index.js';

export const SCOPES = {
  'voisa:read': 'Read your agents, knowledge base, conversations, transcripts, voices and analytics',
  'voisa:write': 'Create, update and delete agents, knowledge-base items, voices and webhooks',
  'voisa:calls': 'Place phone calls with make_call and follow them to their end (calls cost money)',
} as const;

export type Scope = keyof typeof SCOPES;
export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/**
 * Which scopes reach a surface: any one of `anyOf` (a view two kinds of tool open), or every one of
 * `allOf` (a prompt that fetches data and steers toward tools of another scope).
 */
export type Need = { readonly anyOf: readonly Scope[] } | { readonly allOf: readonly Scope[] };

const READ: Need = { anyOf: ['voisa:read'] };

/**
 * The scope a tool needs: read-only tools `voisa:read`, `make_call` `voisa:calls`, the rest `voisa:write`;
 * `wait_for_call` either `voisa:read` or `voisa:calls` (a calls-only grant follows the calls it placed,
 * and sees their outcome but not their content: see tools/call-wait.ts).
 */
export function toolNeed(tool: Pick<AnyTool, 'name' | 'annotations'>): Need {
  if (tool.name === 'wait_for_call') return { anyOf: ['voisa:read', 'voisa:calls'] };
  if (tool.annotations.readOnlyHint === true) return READ;
  if (tool.name === 'make_call') return { anyOf: ['voisa:calls'] };
  return { anyOf: ['voisa:write'] };
}

/** One row of "what each scope reaches": `id` is what the code looks up (a URI, template, prompt or method). */
export interface Reach {
  id: string;
  kind: 'tools' | 'resource' | 'template' | 'view' | 'prompt' | 'method';
  needs: Need;
  why: string;
}

/**
 * Everything a grant can reach besides the tools' own calls, and the scopes it needs. docs/oauth.md's
 * table "What each scope reaches" is `reachTable()` of this list (test/oauth/scopes-surfaces.test.ts).
 * Every read surface needs `voisa:read`; a view needs the scope of a tool that opens it; a prompt the
 * scopes of the data it fetches and of the tools it steers toward.
 */
export const REACH: readonly Reach[] = [
  {
    id: 'tools/list',
    kind: 'method',
    needs: { anyOf: SCOPE_NAMES },
    why: 'the tools of the granted scopes that the key also permits (read-only tools voisa:read, make_call voisa:calls, wait_for_call voisa:read or voisa:calls, the rest voisa:write); a call to another is refused',
  },
  { id: 'voisa://voices', kind: 'resource', needs: READ, why: 'the voice catalogue' },
  { id: 'voisa://agents/{agent_id}', kind: 'template', needs: READ, why: "an agent's full config" },
  { id: 'voisa://conversations/{conversation_id}', kind: 'template', needs: READ, why: "a call's data" },
  {
    id: 'voisa://conversations/{conversation_id}/transcript',
    kind: 'template',
    needs: READ,
    why: 'what was said',
  },
  {
    id: 'voisa://conversations/{conversation_id}/audio',
    kind: 'template',
    needs: READ,
    why: 'the recording',
  },
  {
    id: 'voisa://events',
    kind: 'resource',
    needs: READ,
    why: 'webhook events name calls, agents and numbers',
  },
  {
    id: 'voisa://policy',
    kind: 'resource',
    needs: { anyOf: ['voisa:read', 'voisa:calls'] },
    why: "the call policy and this grant's call budgets: for whoever reads calls or places them",
  },
  {
    id: 'ui://voisa/call',
    kind: 'view',
    needs: { anyOf: ['voisa:read', 'voisa:calls'] },
    why: 'opened by get_conversation (read) and wait_for_call (read or calls)',
  },
  { id: 'ui://voisa/analytics', kind: 'view', needs: READ, why: 'opened by get_analytics' },
  {
    id: 'ui://voisa/agent',
    kind: 'view',
    needs: READ,
    why: 'opened by get_agent; saving goes through update_agent, which needs voisa:write',
  },
  {
    id: 'skill://{+path}',
    kind: 'template',
    needs: { anyOf: SCOPE_NAMES },
    why: 'the workflow skills: how-to text, the same for everyone, no account data',
  },
  {
    id: 'skills/list',
    kind: 'method',
    needs: { anyOf: SCOPE_NAMES },
    why: 'also skills/get: the skills extension (SEP-2640) lists the workflow skills',
  },
  {
    id: 'resources/list',
    kind: 'method',
    needs: { anyOf: SCOPE_NAMES },
    why: 'lists only what the grant can read: the voice catalogue, voisa://events, each agent and each conversation (once) with voisa:read; never the views, which the tools name',
  },
  {
    id: 'resources/templates/list',
    kind: 'method',
    needs: { anyOf: SCOPE_NAMES },
    why: 'the templates the grant reads: the account data ones with voisa:read, the skill files with any scope',
  },
  {
    id: 'resources/subscribe',
    kind: 'method',
    needs: READ,
    why: '2025-11-25 sessions; also resources/unsubscribe, and the webhook log notifications',
  },
  {
    id: 'subscriptions/listen',
    kind: 'method',
    needs: READ,
    why: '2026-07-28 change notifications name agents and conversations',
  },
  {
    id: 'completion/complete',
    kind: 'method',
    needs: READ,
    why: 'completes agent and conversation ids and voice languages, for the templates and prompts the grant reaches',
  },
  {
    id: 'review_conversation',
    kind: 'prompt',
    needs: READ,
    why: 'fetches the call, its transcript and its agent; proposes changes, applies none',
  },
  {
    id: 'agent_report',
    kind: 'prompt',
    needs: READ,
    why: 'fetches an agent, its analytics and its calls; proposes changes, applies none',
  },
  {
    id: 'design_agent',
    kind: 'prompt',
    needs: { allOf: ['voisa:read', 'voisa:write'] },
    why: 'reads voices, creates and tests an agent; its optional test call also needs voisa:calls',
  },
];

/** What a grant of `scopes` reaches of `need`; `undefined` scopes (a plain API key) reach everything. */
export function reaches(scopes: readonly string[] | undefined, need: Need): boolean {
  if (!scopes) return true;
  return 'anyOf' in need
    ? need.anyOf.some((s) => scopes.includes(s))
    : need.allOf.every((s) => scopes.includes(s));
}

/** The row of a surface; throws for an id without one (every surface must be written down). */
export function reachOf(id: string): Reach {
  const row = REACH.find((r) => r.id === id);
  if (!row) throw new Error(`no scope is written down for ${id} (src/tools/scopes.ts REACH)`);
  return row;
}

/** "`voisa:read`", "`voisa:read` or `voisa:calls`", "`voisa:read` and `voisa:write`" (plain with `code` false). */
export function describeNeed(need: Need, code = true): string {
  const names = ('anyOf' in need ? need.anyOf : need.allOf).map((s) => (code ? `\`${s}\`` : s));
  if (names.length === SCOPE_NAMES.length && 'anyOf' in need) return 'any scope';
  return names.join('anyOf' in need ? ' or ' : ' and ');
}

/** The table "What each scope reaches" in docs/oauth.md, from REACH. */
export function reachTable(): string {
  const label = (r: Reach) => (r.kind === 'prompt' ? `prompt \`${r.id}\`` : `\`${r.id}\``);
  return [
    '| surface | needs | why |',
    '|---|---|---|',
    ...REACH.map((r) => `| ${label(r)} | ${describeNeed(r.needs)} | ${r.why} |`),
  ].join('\n');
}

/** The VOISA key permission a tool's endpoint needs (`read`, `write`, `delete`). */
export function permissionOf(tool: Pick<AnyTool, 'name' | 'annotations'>): 'read' | 'write' | 'delete' {
  // It changes nothing in the account, but it chats, and VOISA counts a test chat as a write.
  if (tool.name === 'test_agent') return 'write';
  if (tool.annotations.readOnlyHint === true) return 'read';
  return tool.name.startsWith('delete_') ? 'delete' : 'write';
}

/**
 * Names of the tools a grant allows: those whose scope was granted and whose permission the key
 * has. `permissions` undefined means the key's permissions are unknown: VOISA enforces them call by call.
 */
export function allowedTools(
  catalogue: readonly Pick<AnyTool, 'name' | 'annotations'>[],
  scopes: readonly string[],
  permissions?: readonly string[],
): Set<string> {
  return new Set(
    catalogue
      .filter((t) => reaches(scopes, toolNeed(t)) && (!permissions || permissions.includes(permissionOf(t))))
      .map((t) => t.name),
  );
}

/** The scopes a space-separated request names, known ones only, in catalogue order. */
export function parseScopes(scope: string | undefined): Scope[] {
  const asked = new Set((scope ?? '').split(/\s+/).filter(Boolean));
  return SCOPE_NAMES.filter((s) => asked.has(s));
}
