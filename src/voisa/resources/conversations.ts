import { ResponseTooLargeError } from '../errors.js';
import { type HttpTransport, readAll } from '../http.js';
import { ConversationDetails, ConversationList, type ListConversationsQuery } from '../schemas/index.js';
import type { AudioStream, RequestOptions } from '../types.js';
import { seg } from './path.js';

/** Default cap of `conversations.audioBuffer`. */
export const DEFAULT_AUDIO_MAX_BYTES = 25 * 1024 * 1024;

const AUDIO_ACCEPT = 'audio/*, application/octet-stream;q=0.9, application/json;q=0.5';

export function conversationsApi(http: HttpTransport) {
  const audio = (conversationId: string, o?: RequestOptions): Promise<AudioStream> =>
    http.stream(
      { method: 'GET', path: `/api/conversations/${seg(conversationId)}/audio`, accept: AUDIO_ACCEPT },
      o,
    );
  return {
    /** GET /api/conversations/list */
    list: (q?: ListConversationsQuery, o?: RequestOptions): Promise<ConversationList> =>
      http.json({ method: 'GET', path: '/api/conversations/list', query: q }, ConversationList, o),
    /** GET /api/conversations/{id} */
    get: (conversationId: string, o?: RequestOptions): Promise<ConversationDetails> =>
      http.json({ method: 'GET', path: `/api/conversations/${seg(conversationId)}` }, ConversationDetails, o),
    /** GET /api/conversations/{id}/audio as a stream: iterate `body`, or `cancel()` it. */
    audio,
    /**
     * The recording's media type and size in bytes without keeping it: the response's Content-Length
     * when VOISA sends one (the download is then cancelled at once), else counted as it streams past.
     */
    audioSize: async (
      conversationId: string,
      o: RequestOptions = {},
    ): Promise<{ contentType: string; bytes: number }> => {
      const stream = await audio(conversationId, o);
      try {
        if (stream.contentLength !== undefined)
          return { contentType: stream.contentType, bytes: stream.contentLength };
        let bytes = 0;
        for await (const chunk of stream.body) bytes += chunk.length;
        return { contentType: stream.contentType, bytes };
      } finally {
        stream.cancel();
      }
    },
    /** The audio read into memory; past `maxBytes` (default 25 MiB) the download is cancelled and ResponseTooLargeError thrown. */
    audioBuffer: async (
      conversationId: string,
      o: RequestOptions & { maxBytes?: number } = {},
    ): Promise<{ contentType: string; data: Buffer }> => {
      const maxBytes = o.maxBytes ?? DEFAULT_AUDIO_MAX_BYTES;
      const stream = await audio(conversationId, o);
      try {
        if (stream.contentLength !== undefined && stream.contentLength > maxBytes) {
          throw new ResponseTooLargeError(maxBytes);
        }
        return { contentType: stream.contentType, data: await readAll(stream.body, maxBytes) };
      } finally {
        stream.cancel();
      }
    },
  };
}
export type ConversationsApi = ReturnType<typeof conversationsApi>;
