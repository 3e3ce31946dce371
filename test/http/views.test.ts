/**
 * The MCP Apps views over HTTP, for a 2026-07-28 client and a 2025-11-25 client alike: tools name them
 * in `_meta.ui.resourceUri`, `ui://voisa/{call,analytics,agent}` read as self-contained HTML
 * (`text/html;profile=mcp-app`, `_meta.ui` with an empty CSP), and tool results stay as they were.
 * Needs the built views (`npm run build`, or `node scripts/build-views.mjs`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEW_MIME_TYPE } from '../../src/resources/views.js';
import { VIEWS, viewUri } from '../../src/tools/define.js';
import { connectGeneration, GENERATIONS, type Generation } from '../helpers/generations.js';
import { type Stack, startStack } from './helpers.js';

const VIEW_OF_TOOL = {
  get_agent: 'ui://voisa/agent',
  get_analytics: 'ui://voisa/analytics',
  get_conversation: 'ui://voisa/call',
  wait_for_call: 'ui://voisa/call',
};

/** What makes a view load nothing from elsewhere: no remote script, style sheet, image or font. */
function expectSelfContained(html: string, uri: string): void {
  expect(html, uri).toMatch(/^<!doctype html>/i);
  expect(html, uri).toMatch(/<html lang="en" data-theme="(light|dark)">/);
  expect(html, uri).toContain('<script type="module">');
  expect(html, uri).toContain('<style>');
  expect(html, uri).not.toMatch(/<script\b[^>]*\ssrc\s*=/i);
  expect(html, uri).not.toMatch(/<link\b[^>]*\shref\s*=\s*["']?(https?:)?\/\//i);
  expect(html, uri).not.toMatch(/\ssrc\s*=\s*["']?(https?:)?\/\//i);
  expect(html, uri).not.toMatch(/url\(\s*["']?(https?:)?\/\//i);
  expect(html, uri).not.toMatch(/@import/i);
}

describe.each(GENERATIONS)('a %s client over HTTP', (generation: Generation) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('sees each view in tools/list and reads it as self-contained HTML', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl });
    try {
      expect(c.protocolVersion()).toBe(generation);
      const tools = (await c.listTools()) as { name: string; _meta?: { ui?: { resourceUri?: string } } }[];
      const named = Object.fromEntries(
        tools.filter((t) => t._meta !== undefined).map((t) => [t.name, t._meta?.ui?.resourceUri]),
      );
      expect(named).toEqual(VIEW_OF_TOOL);

      for (const view of VIEWS) {
        const uri = viewUri(view);
        const { contents } = (await c.readResource(uri)) as {
          contents: { uri: string; mimeType?: string; text?: string; _meta?: Record<string, unknown> }[];
        };
        expect(contents, uri).toHaveLength(1);
        expect(contents[0]).toMatchObject({
          uri,
          mimeType: VIEW_MIME_TYPE,
          _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } },
        });
        expectSelfContained(contents[0]!.text ?? '', uri);
      }
    } finally {
      await c.close();
    }
  });

  it('leaves the tool results as they were', async () => {
    const c = await connectGeneration(generation, { url: stack.http.mcpUrl });
    try {
      const agent = await c.callTool('get_agent', { agent_id: 'agt_bella0001' });
      expect(agent.isError).toBeFalsy();
      expect(agent.structuredContent).toMatchObject({ id: 'agt_bella0001' });
      expect(JSON.parse(agent.content[0]!.text!)).toEqual(agent.structuredContent);
      expect(agent).not.toHaveProperty('_meta.ui');
    } finally {
      await c.close();
    }
  });
});
