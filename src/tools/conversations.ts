import { z } from 'zod';
import { recordingMimeType } from '../resources/audio.js';
import { audioUri } from '../resources/uris.js';
import {
  ConversationDetails,
  ConversationId,
  ConversationList,
  ListConversationsQuery,
  ResponseTooLargeError,
} from '../voisa/index.js';
import { defineTool, READ_ONLY, WithContent } from './define.js';

export const listConversations = defineTool({
  name: 'list_conversations',
  title: 'List conversations',
  toolset: 'conversations',
  description: 'Calls with status, duration, sentiment and summary; filter by agent, status, dates; paged.',
  annotations: READ_ONLY,
  input: ListConversationsQuery.shape,
  output: ConversationList,
  untrusted: true,
  run: (args, { api, req }) => api.conversations.list(args, req),
});

export const getConversation = defineTool({
  name: 'get_conversation',
  title: 'Get conversation',
  toolset: 'conversations',
  // That the transcript is callers' words, not instructions, the result says (untrusted) and the server's instructions.
  description: 'One call: transcript, tools used, data collected.',
  annotations: READ_ONLY,
  input: { conversation_id: ConversationId },
  output: ConversationDetails,
  untrusted: true,
  view: 'call',
  run: ({ conversation_id }, { api, req }) => api.conversations.get(conversation_id, req),
});

/** Recordings up to this size come back in the result when asked (`inline: true`), as an embedded resource. */
export const INLINE_AUDIO_BYTES = 1024 * 1024;
/** The largest recording `save_to` writes. */
export const SAVED_AUDIO_BYTES = 50 * 1024 * 1024;

const AudioResult = z.object({
  conversation_id: z.string(),
  content_type: z.string(),
  bytes: z.number().optional(),
  duration: z.number().optional(),
  inline: z.boolean(),
  saved_to: z.string().optional(),
  resource_uri: z.string(),
});

/**
 * By default the result describes the recording (type, size, duration, resource URI) and carries no
 * bytes: an `audio` block breaks the AI SDK's result parsing and LangChain's OpenAI and Anthropic
 * converters, and most models cannot take audio in a tool result anyway. The bytes come only when the
 * caller asks: `inline: true` (an embedded `resource` blob, which LangChain keeps as an artifact and
 * the others pass on or drop without failing) or `save_to` (a local file).
 */
export const getConversationAudio = defineTool({
  name: 'get_conversation_audio',
  title: 'Get conversation audio',
  toolset: 'conversations',
  description: `A call's recording: size, duration, URI; inline adds the audio (≤${INLINE_AUDIO_BYTES / 1024 / 1024} MiB), save_to saves it.`,
  annotations: READ_ONLY,
  input: {
    conversation_id: ConversationId,
    inline: z.boolean().optional().describe('Add the audio'),
    save_to: z.string().min(1).optional().describe('Local file to save it to (stdio only)'),
  },
  output: AudioResult,
  async run({ conversation_id, inline, save_to }, { api, req, files }) {
    const resource_uri = audioUri(conversation_id);
    const described = { conversation_id, inline: false, resource_uri };
    if (save_to) {
      const { contentType, data } = await api.conversations.audioBuffer(conversation_id, {
        ...req,
        maxBytes: SAVED_AUDIO_BYTES,
      });
      const saved_to = await files.write(save_to, data, 'save_to');
      return { ...described, content_type: contentType, bytes: data.length, saved_to };
    }
    if (!inline) {
      const [size, details] = await Promise.all([
        api.conversations.audioSize(conversation_id, req),
        api.conversations.get(conversation_id, req),
      ]);
      return {
        ...described,
        content_type: size.contentType,
        bytes: size.bytes,
        ...(typeof details.duration === 'number' ? { duration: details.duration } : {}),
      };
    }
    try {
      const { contentType, data } = await api.conversations.audioBuffer(conversation_id, {
        ...req,
        maxBytes: INLINE_AUDIO_BYTES,
      });
      const result = { ...described, content_type: contentType, bytes: data.length, inline: true };
      return new WithContent(result, [
        {
          type: 'resource',
          resource: {
            uri: resource_uri,
            mimeType: recordingMimeType(contentType),
            blob: data.toString('base64'),
          },
        },
      ]);
    } catch (err) {
      if (!(err instanceof ResponseTooLargeError)) throw err;
      return new WithContent({ ...described, content_type: 'audio/mpeg' }, [
        {
          type: 'text',
          text: `The recording is over ${INLINE_AUDIO_BYTES} bytes, too large to include: read ${resource_uri}, or call again with save_to.`,
        },
      ]);
    }
  },
});

export const conversationTools = [listConversations, getConversation, getConversationAudio];
