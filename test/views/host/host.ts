/**
 * A minimal MCP Apps host page, bundled with esbuild by test/views/host.ts and driven by Playwright
 * through `window.voisaHost`. It connects an MCP client to voisa-mcp's `/mcp` (cross-origin: the page
 * is on another loopback port, the server answers loopback origins with CORS), reads a tool's
 * `_meta.ui.resourceUri` from tools/list, reads that `ui://` resource, renders it in a sandboxed iframe
 * (`srcdoc`, scripts and forms only, opaque origin, a CSP built from the resource's `_meta.ui.csp`)
 * and talks to it through the ext-apps `AppBridge` over a `PostMessageTransport`.
 *
 * Two protocol generations, two clients (AppBridge's constructor takes the v2 SDK's `Client`, or null):
 * - `2026-07-28`: `@modelcontextprotocol/client` (SDK v2) pinned to 2026-07-28, handed to the
 *   AppBridge, whose built-in forwarding proxies the view's tools/call and resources/* to it;
 * - `2025-11-25`: `@modelcontextprotocol/sdk` 1.32's `Client` (initialize, a session); the AppBridge
 *   gets `null` and the host forwards with `oncalltool` / `onreadresource` / `onlistresources` itself.
 *
 * Everything the view sends the host (requests and notifications) is recorded in `viewMessages`.
 */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
  type Transport,
} from '@modelcontextprotocol/client';
import {
  AppBridge,
  getToolUiResourceUri,
  type McpUiHostContext,
  type McpUiResourceCsp,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
} from '@modelcontextprotocol/ext-apps/app-bridge';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import type {
  Generation,
  RenderInfo,
  RenderOptions,
  Theme,
  ToolInfo,
  ViewMessage,
  ViewToolCall,
} from './protocol.js';

interface AnyClient {
  protocolVersion(): string | undefined;
  listTools(): Promise<ToolInfo[]>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<any>;
  readResource(params: { uri: string }): Promise<any>;
  listResources(params?: any): Promise<any>;
  listResourceTemplates(params?: any): Promise<any>;
  capabilities(): { tools?: object; resources?: object } | undefined;
  close(): Promise<void>;
}

const HOST_INFO = { name: 'voisa-test-host', version: '1.0.0' };

/** Never serve a cached answer: the tests check what the server says each time. */
const NO_CACHE = {
  get: () => undefined,
  set: () => 0,
  delete: () => {},
  evict: () => {},
  clear: () => {},
};

/** Records every message the view sends before the bridge handles it, and the host's answers. */
class RecordingTransport implements Transport {
  onmessage?: Transport['onmessage'];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly open = new Map<string | number, ViewMessage>();
  constructor(
    private readonly inner: PostMessageTransport,
    private readonly record: (message: ViewMessage) => void,
  ) {}
  async start(): Promise<void> {
    this.inner.onmessage = (message, extra) => {
      const m = message as { method?: string; params?: unknown; id?: string | number };
      if (typeof m.method === 'string') {
        const entry: ViewMessage = { method: m.method, params: m.params, id: m.id };
        if (m.id !== undefined) this.open.set(m.id, entry);
        this.record(entry);
      }
      this.onmessage?.(message, extra);
    };
    this.inner.onclose = () => this.onclose?.();
    this.inner.onerror = (error) => this.onerror?.(error);
    await this.inner.start();
  }
  send(message: Parameters<Transport['send']>[0], options?: Parameters<Transport['send']>[1]) {
    const m = message as { method?: string; id?: string | number; result?: unknown; error?: unknown };
    const asked = m.method === undefined && m.id !== undefined ? this.open.get(m.id) : undefined;
    if (asked) {
      this.open.delete(m.id!);
      if ('error' in m) asked.error = m.error;
      else asked.result = m.result;
    }
    return this.inner.send(message, options);
  }
  close() {
    return this.inner.close();
  }
}

/** The host's CSP for a view: nothing from the network but the declared domains; inline code; data/blob media. */
export function viewCsp(csp: McpUiResourceCsp | undefined): string {
  const clean = (domains?: string[]) =>
    (domains ?? []).filter((d) => typeof d === 'string' && !/[;\r\n'" ]/.test(d)).join(' ');
  const resources = clean(csp?.resourceDomains);
  const connect = clean(csp?.connectDomains);
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline' ${resources}`.trim(),
    `style-src 'unsafe-inline' ${resources}`.trim(),
    `img-src data: blob: ${resources}`.trim(),
    `font-src data: ${resources}`.trim(),
    `media-src data: blob: ${resources}`.trim(),
    connect ? `connect-src ${connect}` : "connect-src 'none'",
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function withCsp(html: string, csp: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${csp.replace(/"/g, '&quot;')}">`;
  const head = /<head[^>]*>/i.exec(html);
  if (head)
    return html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length);
  return meta + html;
}

async function connectModern(mcpUrl: string): Promise<{ face: AnyClient; bridgeClient: ModernClient }> {
  const client = new ModernClient(HOST_INFO, {
    capabilities: {},
    versionNegotiation: { mode: { pin: '2026-07-28' } },
    responseCacheStore: NO_CACHE,
  });
  await client.connect(new ModernHttp(new URL(mcpUrl)));
  return {
    bridgeClient: client,
    face: faceOf(client, () => client.getNegotiatedProtocolVersion?.()),
  };
}

async function connectLegacy(mcpUrl: string): Promise<AnyClient> {
  const client = new LegacyClient(HOST_INFO, { capabilities: {} });
  const transport = new LegacyHttp(new URL(mcpUrl));
  let negotiated: string | undefined;
  const setVersion = transport.setProtocolVersion.bind(transport);
  transport.setProtocolVersion = (version: string) => {
    negotiated = version;
    setVersion(version);
  };
  await client.connect(transport);
  return faceOf(client, () => negotiated);
}

/** The methods the host uses, which both SDKs' clients have under the same names. */
interface SdkClient {
  listTools(): Promise<{ tools: unknown[] }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<any>;
  readResource(params: { uri: string }): Promise<any>;
  listResources(params?: any): Promise<any>;
  listResourceTemplates(params?: any): Promise<any>;
  getServerCapabilities(): { tools?: object; resources?: object } | undefined;
  close(): Promise<void>;
}

/** One face for either SDK's client; only how the negotiated version is learnt differs. */
function faceOf(client: SdkClient, protocolVersion: () => string | undefined): AnyClient {
  return {
    protocolVersion,
    listTools: async () => (await client.listTools()).tools as ToolInfo[],
    callTool: (params) => client.callTool(params),
    readResource: (params) => client.readResource(params),
    listResources: (params) => client.listResources(params),
    listResourceTemplates: (params) => client.listResourceTemplates(params),
    capabilities: () => client.getServerCapabilities(),
    close: () => client.close(),
  };
}

class Host {
  generation: Generation | undefined;
  private client: AnyClient | undefined;
  private bridgeClient: ModernClient | null = null;
  private bridge: AppBridge | undefined;
  private iframe: HTMLIFrameElement | undefined;
  private context: McpUiHostContext = {};
  /** What the view sent the host, in order: `ui/initialize`, `tools/call`, `resources/read`, notifications… */
  viewMessages: ViewMessage[] = [];
  /** Errors the host met (forwarding, bridge), for the test to report. */
  errors: string[] = [];

  async connect(o: { mcpUrl: string; generation: Generation }): Promise<{ protocolVersion?: string }> {
    this.generation = o.generation;
    if (o.generation === '2026-07-28') {
      const { face, bridgeClient } = await connectModern(o.mcpUrl);
      this.client = face;
      this.bridgeClient = bridgeClient;
    } else {
      this.client = await connectLegacy(o.mcpUrl);
    }
    return { protocolVersion: this.client.protocolVersion() };
  }

  private need(): AnyClient {
    if (!this.client) throw new Error('voisaHost.connect() first');
    return this.client;
  }

  listTools(): Promise<ToolInfo[]> {
    return this.need().listTools();
  }

  callTool(name: string, args: Record<string, unknown>): Promise<any> {
    return this.need().callTool({ name, arguments: args });
  }

  readResource(uri: string): Promise<any> {
    return this.need().readResource({ uri });
  }

  /** Tool calls the view asked the host for, with the host's answers once sent. */
  viewToolCalls(): ViewToolCall[] {
    return this.viewMessages
      .filter((m) => m.method === 'tools/call')
      .map((m) => ({
        name: m.params?.name,
        arguments: m.params?.arguments,
        result: m.result,
        error: m.error,
      }));
  }

  /**
   * What a chat host does when the model calls a tool that has a view: find the view in tools/list,
   * read it, mount it, wait for its `ui/notifications/initialized`, send the tool's input, call the
   * tool, send the result.
   */
  async render(o: RenderOptions): Promise<RenderInfo> {
    const client = this.need();
    await this.unmount();
    this.viewMessages = [];
    const tool = (await client.listTools()).find((t) => t.name === o.tool);
    if (!tool) throw new Error(`no tool ${o.tool} in tools/list`);
    const resourceUri = getToolUiResourceUri(tool);
    if (!resourceUri) throw new Error(`tool ${o.tool} names no _meta.ui.resourceUri`);
    const read = await client.readResource({ uri: resourceUri });
    const content = read.contents?.[0];
    if (!content) throw new Error(`resources/read ${resourceUri}: no contents`);
    if (content.mimeType !== RESOURCE_MIME_TYPE)
      throw new Error(
        `resources/read ${resourceUri}: mimeType ${content.mimeType}, not ${RESOURCE_MIME_TYPE}`,
      );
    const html: string = typeof content.text === 'string' ? content.text : atob(content.blob);
    const csp = viewCsp(content._meta?.ui?.csp);

    this.context = {
      theme: o.theme,
      displayMode: 'inline',
      availableDisplayModes: ['inline'],
      platform: 'web',
      locale: 'en-US',
      timeZone: 'UTC',
      containerDimensions: { width: window.innerWidth, height: window.innerHeight },
      toolInfo: { tool: tool as never },
    };
    const caps = client.capabilities();
    const bridge = new AppBridge(
      this.bridgeClient,
      HOST_INFO,
      {
        openLinks: {},
        logging: {},
        serverTools: caps?.tools ? {} : undefined,
        serverResources: caps?.resources ? {} : undefined,
        updateModelContext: { text: {}, structuredContent: {} },
        message: { text: {} },
      },
      { hostContext: this.context },
    );
    if (!this.bridgeClient) {
      // SDK 1.32's client cannot back the bridge's built-in forwarding: forward by hand.
      bridge.oncalltool = (params) => client.callTool(params);
      bridge.onreadresource = (params) => client.readResource(params);
      bridge.onlistresources = (params) => client.listResources(params);
      bridge.onlistresourcetemplates = (params) => client.listResourceTemplates(params);
    }
    bridge.onmessage = async () => ({});
    bridge.onupdatemodelcontext = async () => ({});
    bridge.onopenlink = async () => ({});
    bridge.onloggingmessage = () => {};
    bridge.onsizechange = () => {};
    const initialized = new Promise<void>((resolve) => {
      bridge.oninitialized = () => resolve();
    });

    const iframe = document.createElement('iframe');
    iframe.id = 'view';
    iframe.title = o.title ?? `${o.tool} view`;
    // Scripts and forms only: an opaque origin, no top navigation, no popups.
    iframe.setAttribute('sandbox', 'allow-scripts allow-forms');
    document.body.appendChild(iframe);
    this.iframe = iframe;
    this.bridge = bridge;
    const transport = new RecordingTransport(
      new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!),
      (m) => this.viewMessages.push(m),
    );
    await bridge.connect(transport);
    iframe.srcdoc = withCsp(html, csp);

    await within(initialized, 10_000, 'the view to send ui/notifications/initialized');
    await bridge.sendToolInput({ arguments: o.args });
    const result = await client.callTool({ name: o.tool, arguments: o.args });
    await bridge.sendToolResult(result);
    return {
      resourceUri,
      mimeType: content.mimeType,
      htmlBytes: html.length,
      csp,
      result,
      appInfo: this.viewMessages.find((m) => m.method === 'ui/initialize')?.params ?? null,
    };
  }

  /** Changes the host's theme; the view hears `ui/notifications/host-context-changed`. */
  async setTheme(theme: Theme): Promise<void> {
    if (!this.bridge) throw new Error('nothing rendered');
    this.context = { ...this.context, theme };
    this.bridge.setHostContext(this.context);
  }

  async unmount(): Promise<void> {
    const bridge = this.bridge;
    this.bridge = undefined;
    if (bridge) {
      await within(bridge.teardownResource({}), 2_000, 'ui/resource-teardown').catch(() => {});
      await bridge.close().catch(() => {});
    }
    this.iframe?.remove();
    this.iframe = undefined;
  }

  async close(): Promise<void> {
    await this.unmount();
    await this.client?.close().catch(() => {});
    this.client = undefined;
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const host = new Host();
(window as unknown as { voisaHost: Host }).voisaHost = host;
window.addEventListener('error', (e) => host.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => host.errors.push(String(e.reason)));
