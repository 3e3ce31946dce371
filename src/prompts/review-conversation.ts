/** `review_conversation`: outcome, sentiment, missed intents and prompt fixes for one call. */

import type { McpServer, PromptMessage } from '@modelcontextprotocol/server';
import { completable } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { IdCompleters } from '../resources/complete.js';
import { conversationView } from '../resources/conversations.js';
import { guarded } from '../resources/errors.js';
import { type ApiDeps, optionsFor } from '../resources/request.js';
import { formatTranscript, TRANSCRIPT_MIME } from '../resources/transcripts.js';
import { agentUri, conversationUri, transcriptUri } from '../resources/uris.js';
import { NotFoundError } from '../voisa/index.js';
import { embedded, oncePer, UNTRUSTED, userText } from './text.js';

const JSON_MIME = 'application/json';

/** The arguments, with ids completed through these completers (one set per client). */
const reviewArgs = oncePer((ids: IdCompleters) =>
  z.object({
    conversation_id: completable(z.string().min(1).max(100).describe('Conversation id, e.g. conv_123'), (v) =>
      ids.conversationIds(v ?? ''),
    ),
  }),
);

export function registerReviewConversationPrompt(mcp: McpServer, deps: ApiDeps, ids: IdCompleters): void {
  mcp.registerPrompt(
    'review_conversation',
    {
      title: 'Review a call',
      description: "Review one call's transcript: outcome, sentiment, missed intents, prompt improvements.",
      argsSchema: reviewArgs(ids),
    },
    ({ conversation_id }, ctx) =>
      guarded(
        transcriptUri(conversation_id),
        async () => {
          const options = optionsFor(deps, ctx);
          const details = await deps.api.conversations.get(conversation_id, options);
          const messages: PromptMessage[] = [
            embedded(conversationUri(details.id), JSON_MIME, JSON.stringify(conversationView(details))),
            embedded(transcriptUri(details.id), TRANSCRIPT_MIME, formatTranscript(details.transcript ?? [])),
          ];
          try {
            const agent = await deps.api.agents.get(details.agent_id, options);
            messages.push(embedded(agentUri(agent.id), JSON_MIME, JSON.stringify(agent)));
          } catch (err) {
            if (!(err instanceof NotFoundError)) throw err; // a deleted agent: review the call without its config
          }
          messages.push(userText(reviewText(details.id, details.agent_id)));
          return { description: `Review of call ${details.id}`, messages };
        },
        deps.signIn,
      ),
  );
}

export function reviewText(conversationId: string, agentId: string): string {
  return `Review call ${conversationId} of agent ${agentId}: its metadata, transcript and the agent's config are above. ${UNTRUSTED}

Report:
1. Outcome: did the caller get what they called for? Quote the turn that decided it.
2. Sentiment: the caller's mood at the start and at the end, and what changed it.
3. Missed intents: questions or needs the agent ignored, misunderstood or answered wrongly; data it should have collected but did not.
4. Improvements: concrete edits to the system prompt or first message (quote the new text), knowledge-base facts to add (add_kb_text), tools to assign, turn-detection changes. Apply nothing without my approval (update_agent).`;
}
