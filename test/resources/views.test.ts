/**
 * The MCP Apps views as resources: hosts find them through the tools' `_meta.ui.resourceUri`, not
 * resources/list (the extension lets a server leave UI-only resources out of the list), and the server
 * finds the built files from each place it runs from (test/http/views.test.ts reads them over HTTP on
 * both generations). Needs the built views (`npm run build`, or `node scripts/build-views.mjs`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findViewsDir, VIEW_MIME_TYPE } from '../../src/resources/views.js';
import { VIEWS, viewUri } from '../../src/tools/define.js';
import { type Connected, connect } from '../helpers/mcp.js';
import { useSandbox } from '../helpers/sandbox.js';

describe('the views', () => {
  const sandbox = useSandbox();
  let mcp: Connected;
  beforeAll(async () => {
    mcp = await connect(sandbox());
  });
  afterAll(() => mcp?.close());

  it('are named by the tools and read with resources/read, but not listed by resources/list', async () => {
    const { tools } = await mcp.client.listTools();
    const named = new Set(tools.map((t) => (t._meta as { ui?: { resourceUri?: string } })?.ui?.resourceUri));
    expect(VIEWS.map(viewUri).filter((uri) => !named.has(uri))).toEqual([]);

    const { resources } = await mcp.client.listResources();
    expect(resources[0]?.uri).toBe('voisa://voices');
    expect(resources.filter((r) => r.uri.startsWith('ui://'))).toEqual([]);

    for (const uri of VIEWS.map(viewUri)) {
      const { contents } = await mcp.client.readResource({ uri });
      expect(contents[0]).toMatchObject({ uri, mimeType: VIEW_MIME_TYPE });
    }
  });
});

describe('finding the built views', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'voisa-views-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function layout(viewsDir: string, ...moduleDirs: string[]): void {
    mkdirSync(join(root, viewsDir), { recursive: true });
    for (const v of VIEWS) writeFileSync(join(root, viewsDir, `${v}.html`), '<!doctype html>');
    for (const d of moduleDirs) mkdirSync(join(root, d), { recursive: true });
  }

  it('from the sources, tsc output, the bundle and its chunks, and the .mcpb', () => {
    layout('pkg/dist/views', 'pkg/src/resources', 'pkg/dist/resources', 'pkg/dist/bin/chunks');
    for (const from of ['pkg/src/resources', 'pkg/dist/resources', 'pkg/dist/bin', 'pkg/dist/bin/chunks']) {
      expect(findViewsDir(join(root, from)), from).toBe(join(root, 'pkg/dist/views'));
    }
    layout('mcpb/server/views', 'mcpb/server/chunks');
    for (const from of ['mcpb/server', 'mcpb/server/chunks']) {
      expect(findViewsDir(join(root, from)), from).toBe(join(root, 'mcpb/server/views'));
    }
  });

  it('not at all when they were not built', () => {
    mkdirSync(join(root, 'bare/dist/resources'), { recursive: true });
    expect(findViewsDir(join(root, 'bare/dist/resources'))).toBeUndefined();
  });

  it('in this checkout', () => {
    expect(findViewsDir(), 'run node scripts/build-views.mjs').toMatch(/[\\/]dist[\\/]views$/);
  });
});
