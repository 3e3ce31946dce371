/**
 * `voisa://policy`: the operator's call policy and what is left of this principal's budgets, so an
 * agent plans its calls within them (and sees when it runs in dry-run mode). The do-not-call numbers
 * are never shown, only how many there are.
 */
import type { McpServer, Resource } from '@modelcontextprotocol/server';
import type { PolicyView } from '../policy/policy.js';
import { CACHE } from './cache.js';

export const POLICY_URI = 'voisa://policy';

const META = {
  title: 'Call policy',
  description:
    'What make_call may do: allowed and blocked number prefixes, quiet hours (callee local time), and calls left this hour, today and at once. Read before planning calls.',
  mimeType: 'application/json',
};

export const POLICY_ENTRY: Resource = { uri: POLICY_URI, name: 'policy', ...META };

/** Registers the resource; `view` reads the policy and budgets for the principal the server acts for. */
export function registerPolicyResource(mcp: McpServer, view: () => Promise<PolicyView>): void {
  // Live: the budgets change with every call, on any instance.
  mcp.registerResource('policy', POLICY_URI, { ...META, cacheHint: CACHE.live }, async () => ({
    contents: [{ uri: POLICY_URI, mimeType: META.mimeType, text: JSON.stringify(await view()) }],
  }));
}
