/**
 * `voisa://conversations/{conversation_id}`: one call's metadata, collected data
 * and summary, as JSON. The transcript is its own resource (see transcripts.ts),
 * so this one carries no caller speech beyond the summary.
 */

import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import type { ConversationDetails, ConversationSummary } from '../voisa/index.js';
import { conversationCache, withCache } from './cache.js';
import type { Completer } from './complete.js';
import { guarded } from './errors.js';
import { type ApiDeps, optionsFor } from './request.js';
import { audioUri, CONVERSATION_TEMPLATE, conversationUri, transcriptUri, variable } from './uris.js';

const JSON_MIME = 'application/json';

export function registerConversationResource(mcp: McpServer, deps: ApiDeps, complete: Completer): void {
  mcp.registerResource(
    'conversation',
    new ResourceTemplate(CONVERSATION_TEMPLATE, { list: undefined, complete: { conversation_id: complete } }),
    {
      title: 'Conversation',
      description: 'One call: agent, status, duration, sentiment, summary, tools used, data collected.',
      mimeType: JSON_MIME,
    },
    (uri, vars, ctx) =>
      guarded(
        uri.href,
        async () => {
          const details = await deps.api.conversations.get(
            variable(vars, 'conversation_id'),
            optionsFor(deps, ctx),
          );
          const result = {
            contents: [
              { uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify(conversationView(details)) },
            ],
          };
          return withCache(result, ctx, conversationCache(details.status));
        },
        deps.signIn,
      ),
  );
}

/** The conversation without its transcript, plus links to the transcript and recording. */
export function conversationView(details: ConversationDetails): Record<string, unknown> {
  const { transcript, ...rest } = details;
  return {
    ...rest,
    turns: transcript?.length ?? 0,
    transcript_uri: transcriptUri(details.id),
    audio_uri: details.status === 'ongoing' ? null : audioUri(details.id),
  };
}

/**
 * The resources/list entry of one conversation: its record, once. The transcript and recording are
 * reached through their templates (the record's `transcript_uri` and `audio_uri` name them).
 */
export function conversationEntry(c: ConversationSummary): Resource {
  const when = c.started_at ? ` ${c.started_at.slice(0, 16).replace('T', ' ')}` : '';
  return { uri: conversationUri(c.id), name: c.id, title: `call${when} (${c.status})`, mimeType: JSON_MIME };
}
