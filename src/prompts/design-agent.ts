/** `design_agent`: from a business description to a tested agent (a chat, then a call it follows to the end). */

import type { McpServer } from '@modelcontextprotocol/server';
import { completable } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { idCompleter } from '../resources/complete.js';
import type { ApiDeps } from '../resources/request.js';
import type { VoisaClient } from '../voisa/index.js';
import { oncePer, startingWith, userText } from './text.js';

export const INDUSTRIES = [
  'restaurant',
  'healthcare',
  'real_estate',
  'retail',
  'hospitality',
  'legal',
  'finance',
  'automotive',
  'education',
  'beauty',
  'logistics',
] as const;

/** Languages of the voice catalogue (e.g. de-DE), with the id completers' cache and prefix match. */
function languageCompleter(api: VoisaClient) {
  const complete = idCompleter(async () => {
    const { voices } = await api.voices.list();
    return { ids: [...new Set(voices.flatMap((v) => (v.language ? [v.language] : [])))].sort(), pages: 1 };
  }, 1);
  return (value: string | undefined) => complete(value ?? '');
}

/** The arguments, with the voice catalogue's languages completed for this client. */
const designArgs = oncePer((api: VoisaClient) =>
  z.object({
    business_description: z
      .string()
      .min(1)
      .max(5000)
      .describe('What the business does and what callers need'),
    industry: completable(z.string().max(100), startingWith(INDUSTRIES))
      .optional()
      .describe('e.g. restaurant, healthcare'),
    language: completable(z.string().max(35), languageCompleter(api))
      .optional()
      .describe('Caller language, e.g. de-DE'),
  }),
);

export function registerDesignAgentPrompt(mcp: McpServer, deps: ApiDeps): void {
  mcp.registerPrompt(
    'design_agent',
    {
      title: 'Design a phone agent',
      description:
        'Create a VOISA agent for a business: voice, first message, prompt, turn detection, privacy, knowledge base, test chat and call.',
      argsSchema: designArgs(deps.api),
    },
    ({ business_description, industry, language }) => ({
      description: 'Design, create and test a VOISA agent',
      messages: [userText(designText(business_description, industry, language))],
    }),
  );
}

export function designText(business: string, industry?: string, language?: string): string {
  const lang = language ?? "the callers' language (ask me if unsure)";
  return `Design a VOISA phone agent for this business.

<business>
${business}
</business>
Industry: ${industry ?? 'infer it from the description'}. Language: ${lang}.

1. Voice: call list_voices and pick a voice whose language is ${lang} and whose style fits the business; say why.
2. Draft the agent: name, description, industry; config.conversation.first_message (one or two short sentences: greet with the business name, say it is an AI assistant); config.conversation.system_prompt (role, tasks, tone, what to collect from callers, when to hand over to a human, what never to say or promise; short answers suited to the phone); model and temperature (0.2-0.5 for factual work).
3. Turn detection: mode (silence, vad or semantic), timeout (seconds of silence ending a turn, usually 1-3), end_call_on_silence. Privacy: retention_days, zero_retention, delete_audio; strict settings for health, legal or finance callers.
4. Show me the full config and wait for my approval, then call create_agent.
5. Seed the knowledge base with add_kb_text (hours, prices, policies, FAQs) or add_kb_url. Ask me for facts you do not know; never invent them.
6. The new agent trains for a few seconds (RESOURCE_LOCKED meanwhile). Then test it with chat_with_agent: 3-5 realistic caller messages, including one off-topic and one edge case. Report wrong or weak answers and propose fixes with update_agent or more knowledge-base content.
7. Offer a test phone call. Only with a number I give you and my go-ahead, call make_call, then wait_for_call with its call_id; while it answers ended=false, wait retry_after_seconds and call wait_for_call again. Once it has ended, read the transcript (its resource link, or get_conversation) and review the call as in step 6.`;
}
