/**
 * The harness for the MCP App view tests: bundles the host page (test/views/host/host.ts) with esbuild
 * into a temp dir, serves it on a loopback port of its own, and drives it in Chromium. The page's MCP
 * client talks to voisa-mcp's `/mcp` on another loopback port, cross-origin: the server answers
 * loopback origins with CORS (src/http/guards.ts), as a browser-based host on localhost needs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Frame, Page } from 'playwright-core';
import type {
  Generation,
  RenderInfo,
  RenderOptions,
  Theme,
  ToolInfo,
  ViewMessage,
  ViewToolCall,
} from './host/protocol.js';

export type { Generation, RenderInfo, Theme, ViewMessage, ViewToolCall };

/** The size a chat host gives a view; the screenshots are this size. */
export const VIEWPORT = { width: 720, height: 560 } as const;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>VOISA test host</title>
<style>
  html, body { margin: 0; height: 100%; background: #fff; }
  iframe#view { display: block; width: 100vw; height: 100vh; border: 0; }
  #before-view { position: absolute; left: -10000px; }
</style>
<script type="module" src="/host.js"></script>
</head>
<body><button id="before-view" type="button">Host toolbar</button></body>
</html>`;

const ROOT = resolve(import.meta.dirname, '../..');
const VIEW_NAMES = ['call', 'analytics', 'agent'];

/**
 * The server serves dist/views/*.html (src/resources/views.ts). Builds them with
 * scripts/build-views.mjs when they are missing or older than a file in src/views, so a plain
 * `npx vitest run test/views` checks the views as they are in the tree; returns whether it built.
 */
export async function ensureViewsBuilt(): Promise<boolean> {
  const built = VIEW_NAMES.map((v) => join(ROOT, 'dist/views', `${v}.html`));
  const sources = readdirSync(join(ROOT, 'src/views')).map(
    (f) => statSync(join(ROOT, 'src/views', f)).mtimeMs,
  );
  const newest = Math.max(...sources);
  if (built.every((f) => existsSync(f) && statSync(f).mtimeMs >= newest)) return false;
  await promisify(execFile)(process.execPath, ['scripts/build-views.mjs'], { cwd: ROOT, timeout: 120_000 });
  return true;
}

export interface HostServer {
  url: string;
  close(): Promise<void>;
}

/** Bundles the host page and serves it (index.html, host.js) on 127.0.0.1. */
export async function startHostServer(): Promise<HostServer> {
  const dir = mkdtempSync(join(tmpdir(), 'voisa-view-host-'));
  await build({
    entryPoints: [resolve(import.meta.dirname, 'host/host.ts')],
    outfile: join(dir, 'host.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    sourcemap: 'inline',
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"test"' },
  });
  writeFileSync(join(dir, 'index.html'), HTML);
  const files: Record<string, { type: string; body: Buffer }> = {
    '/': { type: 'text/html; charset=utf-8', body: readFileSync(join(dir, 'index.html')) },
    '/host.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(join(dir, 'host.js')) },
  };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    const file = files[path];
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The host page in a Playwright page: typed calls into `window.voisaHost`. */
export class HostPage {
  /** console errors and page errors, for failure messages. */
  readonly problems: string[] = [];

  constructor(readonly page: Page) {
    page.on('pageerror', (e) => this.problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') this.problems.push(`console: ${m.text()}`);
    });
  }

  async open(url: string, mcpUrl: string, generation: Generation): Promise<string | undefined> {
    await this.page.goto(url);
    await this.page.waitForFunction('typeof window.voisaHost === "object"', undefined, { timeout: 10_000 });
    const { protocolVersion } = await this.page.evaluate((o) => (globalThis as any).voisaHost.connect(o), {
      mcpUrl,
      generation,
    });
    return protocolVersion;
  }

  listTools(): Promise<ToolInfo[]> {
    return this.page.evaluate(() => (globalThis as any).voisaHost.listTools());
  }

  callTool(name: string, args: Record<string, unknown>): Promise<RenderInfo['result']> {
    return this.page.evaluate(([n, a]) => (globalThis as any).voisaHost.callTool(n, a), [
      name,
      args,
    ] as const);
  }

  readResource(
    uri: string,
  ): Promise<{ contents: { uri: string; mimeType?: string; text?: string; _meta?: Record<string, any> }[] }> {
    return this.page.evaluate((u) => (globalThis as any).voisaHost.readResource(u), uri);
  }

  /** Renders a tool's view; resolves with what the host read and sent, and the view's frame. */
  async render(o: RenderOptions): Promise<{ info: RenderInfo; frame: Frame }> {
    const info: RenderInfo = await this.page.evaluate(
      (opts) => (globalThis as any).voisaHost.render(opts),
      o,
    );
    const frame = await (await this.page.waitForSelector('iframe#view', { timeout: 5_000 })).contentFrame();
    if (!frame) throw new Error('the view iframe has no frame');
    return { info, frame };
  }

  setTheme(theme: Theme): Promise<void> {
    return this.page.evaluate((t) => (globalThis as any).voisaHost.setTheme(t), theme);
  }

  viewMessages(): Promise<ViewMessage[]> {
    return this.page.evaluate(() => (globalThis as any).voisaHost.viewMessages);
  }

  viewToolCalls(): Promise<ViewToolCall[]> {
    return this.page.evaluate(() => (globalThis as any).voisaHost.viewToolCalls());
  }

  hostErrors(): Promise<string[]> {
    return this.page.evaluate(() => (globalThis as any).voisaHost.errors);
  }

  async close(): Promise<void> {
    await this.page.evaluate(() => (globalThis as any).voisaHost?.close()).catch(() => {});
    await this.page.close().catch(() => {});
  }
}

/** Waits until the view says it has rendered (`<body data-ready="true">`). */
export async function viewReady(frame: Frame, ms = 10_000): Promise<void> {
  await frame.waitForFunction('document.body && document.body.dataset.ready === "true"', undefined, {
    timeout: ms,
  });
}

/** Describes the focused element in the frame: tag, id, name, data-* keys that identify it. */
export function focused(frame: Frame): Promise<string> {
  return frame.evaluate(() => {
    const el = (globalThis as any).document.activeElement as any;
    if (!el || el === (globalThis as any).document.body) return 'body';
    const bits = [el.tagName.toLowerCase()];
    if (el.id) bits.push(`#${el.id}`);
    if (el.name) bits.push(`[name=${el.name}]`);
    if (el.tagName === 'BUTTON' && el.type === 'submit') bits.push('[type=submit]');
    for (const k of ['turn', 'period', 'field', 'badge'])
      if (el.dataset?.[k] !== undefined) bits.push(`[data-${k}=${el.dataset[k]}]`);
    const turn = el.matches('li[data-turn]') ? null : el.closest('li[data-turn]');
    if (turn) bits.push(` in li[data-turn=${turn.dataset.turn}]`);
    return bits.join('');
  });
}

/**
 * Presses Tab from the top of the view until every `wanted` (a part of `focused()`'s description, e.g.
 * `li[data-turn` or `button[data-period=week]`) has had focus, or `max` presses; returns the
 * descriptions seen in order.
 */
export async function tabThrough(page: Page, frame: Frame, wanted: string[], max = 40): Promise<string[]> {
  // Start from the host's last control before the view, as a keyboard user arriving from the host does.
  await page.focus('#before-view');
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const now = await focused(frame);
    seen.push(now);
    if (wanted.every((w) => seen.some((s) => s.includes(w)))) break;
  }
  return seen;
}
