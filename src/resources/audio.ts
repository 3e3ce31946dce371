/** `voisa://conversations/{conversation_id}/audio`: the recording as a blob, streamed with a size cap. */

import type { McpServer } from '@modelcontextprotocol/server';
import { ResourceTemplate } from '@modelcontextprotocol/server';
import { CACHE } from './cache.js';
import type { Completer } from './complete.js';
import { guarded } from './errors.js';
import { type ApiDeps, optionsFor } from './request.js';
import { AUDIO_TEMPLATE, variable } from './uris.js';

/** Largest recording served as a resource (base64 makes it a third larger on the wire). */
export const DEFAULT_AUDIO_RESOURCE_BYTES = 10 * 1024 * 1024;

/** A recording's media type, without parameters; `audio/mpeg` when VOISA names no audio type. */
export function recordingMimeType(contentType: string): string {
  const type = contentType.split(';')[0]?.trim() ?? '';
  return type.startsWith('audio/') ? type : 'audio/mpeg';
}

export function registerAudioResource(
  mcp: McpServer,
  deps: ApiDeps,
  complete: Completer,
  maxBytes: number,
): void {
  mcp.registerResource(
    'audio',
    new ResourceTemplate(AUDIO_TEMPLATE, { list: undefined, complete: { conversation_id: complete } }),
    {
      title: 'Recording',
      description: `A call recording (audio/mpeg), up to ${Math.round(maxBytes / 1024 / 1024)} MiB; for larger ones use get_conversation_audio with save_to.`,
      mimeType: 'audio/mpeg',
      cacheHint: CACHE.finished,
    },
    (uri, vars, ctx) =>
      guarded(
        uri.href,
        async () => {
          const id = variable(vars, 'conversation_id');
          // Streams from the API and cancels the download past maxBytes (ResponseTooLargeError).
          const { contentType, data } = await deps.api.conversations.audioBuffer(id, {
            ...optionsFor(deps, ctx),
            maxBytes,
          });
          return {
            contents: [
              { uri: uri.href, mimeType: recordingMimeType(contentType), blob: data.toString('base64') },
            ],
          };
        },
        deps.signIn,
      ),
  );
}
