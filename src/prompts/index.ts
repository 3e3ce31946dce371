/** The workflow prompts: design an agent, review a call, report on an agent. */
import type { McpServer } from '@modelcontextprotocol/server';
import { type IdCompleters, idCompleters } from '../resources/complete.js';
import type { ApiDeps } from '../resources/request.js';
import { registerAgentReportPrompt } from './agent-report.js';
import { registerDesignAgentPrompt } from './design-agent.js';
import { registerReviewConversationPrompt } from './review-conversation.js';

export interface PromptDeps extends ApiDeps {
  /** Shared with the resources so both use one cache; created when absent. */
  completers?: IdCompleters;
}

export function registerPrompts(mcp: McpServer, deps: PromptDeps): void {
  const ids = deps.completers ?? idCompleters(deps.api);
  registerDesignAgentPrompt(mcp, deps);
  registerReviewConversationPrompt(mcp, deps, ids);
  registerAgentReportPrompt(mcp, deps, ids);
}
