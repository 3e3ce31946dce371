/**
 * The MCP Apps views: `ui://voisa/call`, `ui://voisa/analytics`, `ui://voisa/agent`. Each is one
 * self-contained HTML file that scripts/build-views.mjs writes to dist/views/ at build time; the
 * server reads it on the first `resources/read` and keeps it. Tools name their view in
 * `_meta.ui.resourceUri` (../tools/json-schema.ts).
 *
 * Where the files are: this module runs as src/resources/views.ts (vitest), dist/resources/views.js
 * (tsc's library output), dist/bin/voisa-mcp.mjs or one of dist/bin/chunks/ (the bundle) and
 * server/… in the .mcpb, which carries them in server/views/. So the nearest `views/` or
 * `dist/views/` holding the files, looking up from this module's directory, is the one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { McpServer, Resource } from '@modelcontextprotocol/server';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { findShipped } from '../package/shipped.js';
import { VIEWS, type View, viewUri } from '../tools/define.js';
import { CACHE } from './cache.js';

/** MCP Apps' HTML profile (`RESOURCE_MIME_TYPE` of @modelcontextprotocol/ext-apps). */
export const VIEW_MIME_TYPE = 'text/html;profile=mcp-app';

/**
 * On every read: no external origin is needed (everything is inlined, the recording comes through the
 * host as a data: URL), so the CSP is the spec's restrictive default; a border, because hosts differ.
 */
const UI_META = { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } };

const ABOUT: Record<View, { title: string; description: string }> = {
  call: {
    title: 'Call view',
    description: 'A call: transcript turns that seek the recording, summary, status and sentiment.',
  },
  analytics: {
    title: 'Analytics view',
    description: "Charts of an agent's calls, success rate and sentiment, with a period switcher.",
  },
  agent: { title: 'Agent view', description: "An agent's settings as a form that saves with update_agent." },
};

/** What each view is registered as; resources/list leaves them out (list.ts says why). */
export const VIEW_ENTRIES: Resource[] = VIEWS.map((view) => ({
  uri: viewUri(view),
  name: `${view}-view`,
  ...ABOUT[view],
  mimeType: VIEW_MIME_TYPE,
  _meta: UI_META,
}));

/** The directory holding the built views, looked up once; undefined when the views were not built. */
let viewsDir: string | undefined;

export function findViewsDir(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  return findShipped(from, ['views', join('dist', 'views')], (dir) =>
    VIEWS.every((v) => existsSync(join(dir, `${v}.html`))),
  );
}

const html = new Map<View, string>();

/** The view's HTML, read once per process. */
export function viewHtml(view: View): string {
  let text = html.get(view);
  if (text === undefined) {
    viewsDir ??= findViewsDir();
    if (!viewsDir) {
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `${viewUri(view)}: the views are not built (run npm run build)`,
      );
    }
    text = readFileSync(join(viewsDir, `${view}.html`), 'utf8');
    html.set(view, text);
  }
  return text;
}

export function registerViewResources(mcp: McpServer): void {
  for (const [i, view] of VIEWS.entries()) {
    const { uri, name, title, description } = VIEW_ENTRIES[i]!;
    mcp.registerResource(
      name,
      uri,
      { title, description, mimeType: VIEW_MIME_TYPE, cacheHint: CACHE.catalogue, _meta: UI_META },
      async () => ({
        contents: [{ uri, mimeType: VIEW_MIME_TYPE, text: viewHtml(view), _meta: UI_META }],
      }),
    );
  }
}
