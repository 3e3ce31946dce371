/**
 * What every view shares: the App bridge to the host (@modelcontextprotocol/ext-apps), the host's
 * theme and style variables, a small DOM builder that only ever sets text (tool results carry text
 * written by callers and third parties: never parsed as HTML), and tool calls through the host.
 *
 * Contract every view keeps (the browser tests rely on it): `<html data-theme="light|dark">`, and
 * `document.body.dataset.ready = "true"` once the first tool result is rendered.
 */
import {
  App,
  applyDocumentTheme,
  applyHostStyleVariables,
  type McpUiHostContext,
} from '@modelcontextprotocol/ext-apps';
import './shared.css';

/** A tools/call result as views read it. */
export interface ToolResult {
  content?: {
    type: string;
    text?: string;
    /** An embedded resource (`type: 'resource'`), e.g. a recording asked for with `inline`. */
    resource?: { uri: string; mimeType?: string; blob?: string };
  }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

export interface ViewOptions {
  /** `voisa-<view>`: the app name the host sees in `ui/initialize`. */
  name: string;
  /** The arguments the tool was called with (`ui/notifications/tool-input`). */
  onInput?: (args: Record<string, unknown>) => void;
  /** The tool's result; the view is marked ready once the first one is rendered. */
  onResult: (result: ToolResult) => void | Promise<void>;
}

const VERSION = '1';

/** Connects to the host; resolves with the app once the handshake is done. */
export function startView(o: ViewOptions): App {
  followSystemTheme();
  const app = new App({ name: o.name, version: VERSION }, {}, { autoResize: true });
  app.onhostcontextchanged = (ctx) => applyHostContext(ctx);
  app.ontoolinput = (params) => o.onInput?.((params.arguments ?? {}) as Record<string, unknown>);
  app.ontoolresult = async (result) => {
    try {
      await o.onResult(result as ToolResult);
    } catch (err) {
      showError(`Could not show this result: ${errorText(err)}`);
    } finally {
      markReady();
    }
  };
  app.ontoolcancelled = (params) => {
    showError(`The tool call was cancelled${params.reason ? `: ${params.reason}` : ''}.`);
    markReady();
  };
  app.onteardown = async () => ({});
  app
    .connect()
    .then(() => applyHostContext(app.getHostContext()))
    .catch((err) => showError(`Could not connect to the host: ${errorText(err)}`));
  return app;
}

let hostThemed = false;

/** Until the host names a theme, the system's. */
function followSystemTheme(): void {
  const dark = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = () => {
    if (!hostThemed) applyDocumentTheme(dark.matches ? 'dark' : 'light');
  };
  apply();
  dark.addEventListener('change', apply);
}

function applyHostContext(ctx: Partial<McpUiHostContext> | undefined): void {
  if (ctx?.theme === 'light' || ctx?.theme === 'dark') {
    hostThemed = true;
    applyDocumentTheme(ctx.theme); // sets <html data-theme> and color-scheme
  }
  const variables = ctx?.styles?.variables;
  if (variables) applyHostStyleVariables(variables);
  // Host fonts are left out on purpose: they may name remote files, and views fetch nothing.
}

export function markReady(): void {
  document.body.dataset.ready = 'true';
  document.querySelector('main')?.removeAttribute('aria-busy');
}

/** Calls a server tool through the host; a failure to ask is an `isError` result like any other. */
export async function callTool(app: App, name: string, args: Record<string, unknown>): Promise<ToolResult> {
  try {
    return (await app.callServerTool({ name, arguments: args })) as ToolResult;
  } catch (err) {
    return { isError: true, content: [{ type: 'text', text: errorText(err) }] };
  }
}

/** The text blocks of a result, joined. */
export function resultText(result: ToolResult): string {
  return (result.content ?? [])
    .filter((c) => c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text)
    .join('\n');
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Child = Node | string | number | null | undefined | false;

/**
 * `el('li', { 'data-turn': '' }, 'text', child)`: attributes are set with setAttribute (a `false` or
 * undefined one is left out), and strings become text nodes, never markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** The same for SVG elements. */
export function svg(
  tag: string,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): SVGElement {
  const node = document.createElementNS(SVG_NS, tag) as SVGElement;
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function setAttrs(node: Element, attrs: Record<string, string | number | boolean | undefined>): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(node: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === 'number' ? String(child) : child);
  }
}

/** `document.getElementById` that fails loudly when the page and the code disagree. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing`);
  return node as T;
}

/** Shows (or, with '', hides) the page's `#error` alert. */
export function showError(text: string): void {
  const box = document.getElementById('error');
  if (!box) return;
  box.textContent = text;
  box.hidden = text === '';
}

/** A record's field as a string, or undefined. */
export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A record's field as a finite number, or undefined. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `m:ss` or `h:mm:ss`. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A date-time in the reader's locale, or the text as it came when it is not one. */
export function dateTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t)
    ? iso
    : new Date(t).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
