/** `voisa://voices`: the voice catalogue, as JSON. */
import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { CACHE } from './cache.js';
import { guarded } from './errors.js';
import { type ApiDeps, optionsFor } from './request.js';
import { VOICES_URI } from './uris.js';

const META = {
  title: 'Voices',
  description: 'The voice catalogue: id, name, language, gender.',
  mimeType: 'application/json',
};

/** The resources/list entry. */
export const VOICES_ENTRY: Resource = { uri: VOICES_URI, name: 'voices', ...META };

export function registerVoicesResource(mcp: McpServer, deps: ApiDeps): void {
  mcp.registerResource('voices', VOICES_URI, { ...META, cacheHint: CACHE.voices }, (uri, ctx) =>
    guarded(
      uri.href,
      async () => {
        const voices = await deps.api.voices.list(optionsFor(deps, ctx));
        return { contents: [{ uri: uri.href, mimeType: META.mimeType, text: JSON.stringify(voices) }] };
      },
      deps.signIn,
    ),
  );
}
