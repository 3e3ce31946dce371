/**
 * What the host page (host.ts, a browser bundle with DOM types) and the Node side of the tests
 * (../host.ts, no DOM types) share: the shapes `window.voisaHost` takes and returns. Types only.
 */
export type Generation = '2026-07-28' | '2025-11-25';
export type Theme = 'light' | 'dark';

export interface ToolInfo {
  name: string;
  _meta?: Record<string, unknown>;
}

export interface ViewMessage {
  method: string;
  params?: any;
  /** Set for requests. */
  id?: string | number;
  /** The host's answer to a request: its result, or its error. */
  result?: any;
  error?: any;
}

export interface ViewToolCall {
  name: string;
  arguments?: Record<string, unknown>;
  result?: { isError?: boolean; structuredContent?: any; content: any[] };
  error?: { code: number; message: string };
}

export interface RenderOptions {
  tool: string;
  args: Record<string, unknown>;
  theme: Theme;
  /** Accessible name of the iframe. */
  title?: string;
}

export interface RenderInfo {
  resourceUri: string;
  mimeType: string | undefined;
  htmlBytes: number;
  /** The CSP the host applied to the view. */
  csp: string;
  result: { isError?: boolean; structuredContent?: any; content: any[] };
  /** The view's `ui/initialize` app info and capabilities. */
  appInfo: unknown;
}
