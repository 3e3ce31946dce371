/** `voisa://agents/{agent_id}`: the agent with its full config, as JSON. */

import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import type { AgentSummary } from '../voisa/index.js';
import { CACHE } from './cache.js';
import type { Completer } from './complete.js';
import { guarded } from './errors.js';
import { type ApiDeps, optionsFor } from './request.js';
import { AGENT_TEMPLATE, agentUri, variable } from './uris.js';

const JSON_MIME = 'application/json';

export function registerAgentResource(mcp: McpServer, deps: ApiDeps, complete: Completer): void {
  mcp.registerResource(
    'agent',
    new ResourceTemplate(AGENT_TEMPLATE, { list: undefined, complete: { agent_id: complete } }),
    {
      title: 'Agent',
      description:
        'A VOISA agent with its full config (voice, prompt, turn detection, privacy), knowledge base and tools.',
      mimeType: JSON_MIME,
      cacheHint: CACHE.agent,
    },
    (uri, vars, ctx) =>
      guarded(
        uri.href,
        async () => {
          const agent = await deps.api.agents.get(variable(vars, 'agent_id'), optionsFor(deps, ctx));
          return { contents: [{ uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify(agent) }] };
        },
        deps.signIn,
      ),
  );
}

/** The resources/list entry of one agent. */
export function agentEntry(a: AgentSummary): Resource {
  return { uri: agentUri(a.id), name: a.id, title: `${a.name} (agent)`, mimeType: JSON_MIME };
}
