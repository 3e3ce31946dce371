/**
 * The MCP resources: agent configs, conversations, transcripts, recordings,
 * the voice catalogue, and the MCP Apps views (`ui://voisa/…`). They depend only
 * on the injected VOISA client.
 */
import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { registerAgentResource } from './agents.js';
import { DEFAULT_AUDIO_RESOURCE_BYTES, registerAudioResource } from './audio.js';
import { type IdCompleters, idCompleters } from './complete.js';
import { registerConversationResource } from './conversations.js';
import { registerResourceList } from './list.js';
import type { Reachable } from './reach.js';
import type { ApiDeps } from './request.js';
import { registerTranscriptResource } from './transcripts.js';
import { registerViewResources } from './views.js';
import { registerVoicesResource } from './voices.js';

export interface ResourceDeps extends ApiDeps {
  /** Shared with the prompts so both use one cache; created when absent. */
  completers?: IdCompleters;
  /** Cap of the recording resource, default 10 MiB. */
  audioMaxBytes?: number;
  /** Static resources registered elsewhere (e.g. `voisa://events`), listed on the first page. */
  staticEntries?: Resource[];
  /** What the OAuth grant reaches (reach.ts); everything when absent (a plain API key). */
  reach?: Reachable;
}

export function registerResources(mcp: McpServer, deps: ResourceDeps): void {
  const ids = deps.completers ?? idCompleters(deps.api);
  registerVoicesResource(mcp, deps);
  registerAgentResource(mcp, deps, ids.agentIds);
  registerConversationResource(mcp, deps, ids.conversationIds);
  registerTranscriptResource(mcp, deps, ids.conversationIds);
  registerAudioResource(mcp, deps, ids.conversationIds, deps.audioMaxBytes ?? DEFAULT_AUDIO_RESOURCE_BYTES);
  registerViewResources(mcp);
  // After the registrations above, which install McpServer's unpaged handler. The views are not
  // listed: hosts find them through the tools' `_meta.ui.resourceUri` (see list.ts).
  registerResourceList(mcp, deps, deps.staticEntries ?? [], deps.reach);
}

export { type IdCompleters, idCompleters } from './complete.js';
export { RESOURCE_NOT_FOUND } from './errors.js';
export type { ApiDeps, Extra } from './request.js';
export * from './uris.js';
export { VIEW_MIME_TYPE } from './views.js';
