/**
 * What an OAuth grant lets a client do: three scopes over the tool catalogue, intersected with the
 * permissions of the VOISA key the user signed in with. Pure data; knows nothing of OAuth machinery.
 */
import type { AnyTool } from '../tools/index.js';

export const SCOPES = {
  'voisa:read': 'Read your agents, knowledge base, conversations, transcripts, voices and analytics',
  'voisa:write': 'Create, update and delete agents, knowledge-base items, voices and webhooks',
  'voisa:calls': 'Place phone calls with make_call (calls cost money)',
} as const;

export type Scope = keyof typeof SCOPES;
export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/** The scope a tool needs: read-only tools `voisa:read`, `make_call` `voisa:calls`, the rest `voisa:write`. */
export function scopeOf(tool: Pick<AnyTool, 'name' | 'annotations'>): Scope {
  if (tool.annotations.readOnlyHint === true) return 'voisa:read';
  if (tool.name === 'make_call') return 'voisa:calls';
  return 'voisa:write';
}

/** The VOISA key permission a tool's endpoint needs (`read`, `write`, `delete`). */
export function permissionOf(tool: Pick<AnyTool, 'name' | 'annotations'>): 'read' | 'write' | 'delete' {
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
      .filter((t) => scopes.includes(scopeOf(t)) && (!permissions || permissions.includes(permissionOf(t))))
      .map((t) => t.name),
  );
}

/** The scopes a space-separated request names, known ones only, in catalogue order. */
export function parseScopes(scope: string | undefined): Scope[] {
  const asked = new Set((scope ?? '').split(/\s+/).filter(Boolean));
  return SCOPE_NAMES.filter((s) => asked.has(s));
}
