/** The tool catalogue: one flat list; filters act on it before registration. */
import { accountTools } from './account.js';
import { agentTools } from './agents.js';
import { analyticsTools } from './analytics.js';
import { callTools } from './calls.js';
import { conversationTools } from './conversations.js';
import { type AnyTool, TOOLSETS, type Toolset } from './define.js';
import { knowledgeBaseTools } from './knowledge-base.js';
import { mcpServerTools } from './mcp-servers.js';
import { testAgent } from './test-agent.js';
import { voiceTools } from './voices.js';
import { webhookTools } from './webhooks.js';

export const CATALOGUE: readonly AnyTool[] = [
  ...accountTools,
  ...agentTools,
  testAgent,
  ...knowledgeBaseTools,
  ...conversationTools,
  ...mcpServerTools,
  ...analyticsTools,
  ...callTools,
  ...voiceTools,
  ...webhookTools,
];

export const TOOL_NAMES: readonly string[] = CATALOGUE.map((t) => t.name);

export interface ToolFilter {
  toolsets?: readonly string[];
  tools?: readonly string[];
  readOnly?: boolean;
  /** What an OAuth grant allows (see tools/scopes.ts): only these names, and none when empty. */
  granted?: ReadonlySet<string>;
  /**
   * The grant's scopes, which travel with its tools to the server (ServerDeps.scopes): what it reaches
   * of the resources, prompts and live updates (tools/scopes.ts REACH). Undefined for a plain API key.
   */
  scopes?: readonly string[];
}

export class UnknownNameError extends Error {
  override readonly name = 'UnknownNameError';
}

function checkNames(kind: string, given: readonly string[], valid: readonly string[]): void {
  const unknown = given.filter((n) => !valid.includes(n));
  if (unknown.length > 0) {
    throw new UnknownNameError(`unknown ${kind}: ${unknown.join(', ')}. Valid ${kind}: ${valid.join(', ')}`);
  }
}

/** The catalogue after the toolset, allow-list and read-only filters. Unknown names throw. */
export function selectTools(filter: ToolFilter = {}, catalogue: readonly AnyTool[] = CATALOGUE): AnyTool[] {
  if (filter.toolsets?.length) checkNames('toolsets', filter.toolsets, TOOLSETS);
  if (filter.tools?.length) checkNames('tools', filter.tools, TOOL_NAMES);
  return catalogue.filter(
    (t) =>
      (!filter.toolsets?.length || filter.toolsets.includes(t.toolset as Toolset)) &&
      (!filter.tools?.length || filter.tools.includes(t.name)) &&
      (!filter.readOnly || t.annotations.readOnlyHint === true) &&
      (!filter.granted || filter.granted.has(t.name)),
  );
}

export type { AnyTool, Toolset };
export { TOOLSETS };
