/**
 * What each MCP protocol revision defines, applied to what a session is sent: a client that negotiated
 * an older revision gets only the content types and fields its revision has, never a block its SDK may
 * refuse. Revisions are ISO dates, so they compare as strings; an unknown (undefined) revision is the
 * newest and gets everything.
 *
 * | since      | tool results                         | tools/list entries                 |
 * |------------|--------------------------------------|------------------------------------|
 * | 2024-11-05 | text, image, embedded resource       | name, description, inputSchema     |
 * | 2025-03-26 | + audio                              | + annotations                      |
 * | 2025-06-18 | + resource_link, structuredContent   | + title, outputSchema, _meta       |
 *
 * Nothing is lost by the projection: structured content is also the result's JSON text, a resource
 * link becomes a line of text naming its URI, and audio a line saying where the recording is read.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/server';

const AUDIO = '2025-03-26';
const LINKS = '2025-06-18';

type Block = CallToolResult['content'][number];

/** True when `revision` (undefined: the newest) is at least `since`. */
function has(revision: string | undefined, since: string): boolean {
  return revision === undefined || revision >= since;
}

/** A tool result as the session's revision defines it. */
export function resultForRevision(result: CallToolResult, revision: string | undefined): CallToolResult {
  if (has(revision, LINKS)) return result;
  const content = result.content.map((block) => blockForRevision(block, revision!));
  const { structuredContent: _, ...rest } = result;
  return { ...rest, content };
}

function blockForRevision(block: Block, revision: string): Block {
  if (block.type === 'resource_link') {
    const what = block.mimeType ? ` (${block.mimeType})` : '';
    return { type: 'text', text: `${block.name}${what}: ${block.uri}` };
  }
  if (block.type === 'audio' && !has(revision, AUDIO)) {
    return {
      type: 'text',
      text: `[${block.mimeType} audio left out: protocol revision ${revision} has no audio content]`,
    };
  }
  return block;
}

/** A tools/list entry as the session's revision defines it. */
export function toolForRevision(tool: Tool, revision: string | undefined): Tool {
  if (has(revision, LINKS)) return tool;
  const { title: _t, outputSchema: _o, _meta: _m, annotations, ...rest } = tool;
  return has(revision, AUDIO) && annotations ? { ...rest, annotations } : rest;
}
