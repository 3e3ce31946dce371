/**
 * One scenario, two protocol generations: a 2026-07-28 client (`@modelcontextprotocol/client` 2.x,
 * pinned to the modern revision: stateless requests, `server/discover`, `input_required`,
 * `subscriptions/listen`) and a 2025-11-25 client (`@modelcontextprotocol/sdk` 1.32: `initialize`,
 * sessions, server-to-client elicitation, `resources/subscribe`), behind one small common face so a
 * test can run the same steps against both.
 */
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernHttp,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as ModernStdio } from '@modelcontextprotocol/client/stdio';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as LegacyStdio } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as LegacyHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

export type Generation = '2026-07-28' | '2025-11-25';
export const GENERATIONS: Generation[] = ['2026-07-28', '2025-11-25'];

export interface Answer {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
}

export interface GenerationOptions {
  /**
   * Answer to confirmation questions (with the request's params: `requestedSchema`); the client then
   * declares the elicitation capability.
   */
  elicit?: (message: string, params: Record<string, unknown>) => Answer | Promise<Answer>;
  /** Bearer key for HTTP. */
  key?: string;
  /** An OAuth client provider for HTTP (the SDK's own OAuth flow); both SDKs take the same shape. */
  authProvider?: object;
  /**
   * The client's model for sampling requests: gets the request's params, returns the text it says; the
   * client then declares the sampling capability. `sampled` collects the params of every request.
   */
  sample?: (params: SampleParams) => string;
}

export interface SampleParams {
  systemPrompt?: string;
  messages: { role: string; content: { type: string; text?: string } }[];
  maxTokens: number;
}

/** Per-call options both SDKs take: cancellation and progress. */
export interface CallOptions {
  signal?: AbortSignal;
  onprogress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

export interface Where {
  /** `http://…/mcp` */
  url?: string;
  /** A command to spawn for stdio. */
  stdio?: { command: string; args: string[]; env?: Record<string, string>; cwd?: string };
}

/** What both clients can do, in the shape the tests need. */
export interface AnyClient {
  generation: Generation;
  /** The protocol version the connection runs. */
  protocolVersion(): string | undefined;
  listTools(): Promise<{ name: string; annotations?: Record<string, unknown> }[]>;
  callTool(name: string, args: Record<string, unknown>, options?: CallOptions): Promise<CallResult>;
  readResource(uri: string): Promise<{ contents: { uri: string; text?: string; blob?: string }[] }>;
  /** Asks for updates of these URIs (listen stream or resources/subscribe); `updates` collects them. */
  watch(uris: string[]): Promise<void>;
  updates: string[];
  /** Log notifications received. */
  logs: unknown[];
  /** How many `notifications/resources/list_changed` arrived. */
  listChanges(): number;
  /** Elicitation questions the client was asked. */
  asked: string[];
  /** Sampling requests the client answered (with `sample`). */
  sampled: SampleParams[];
  close(): Promise<void>;
}

export interface CallResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: unknown;
}

export async function connectGeneration(
  generation: Generation,
  where: Where,
  opts: GenerationOptions = {},
): Promise<AnyClient> {
  return generation === '2026-07-28' ? connectModern(where, opts) : connectLegacy(where, opts);
}

async function connectModern(where: Where, opts: GenerationOptions): Promise<AnyClient> {
  const asked: string[] = [];
  const updates: string[] = [];
  const logs: unknown[] = [];
  const client = new ModernClient(
    { name: 'voisa-test-2026', version: '1.0.0' },
    {
      capabilities: capabilitiesOf(opts),
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    },
  );
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler('elicitation/create', async (request) => {
      const params = request.params as { message: string };
      asked.push(params.message);
      return answer(params.message, params) as never;
    });
  }
  const sampled: SampleParams[] = [];
  if (opts.sample) {
    const say = opts.sample;
    client.setRequestHandler('sampling/createMessage', async (request) => {
      const params = request.params as unknown as SampleParams;
      sampled.push(params);
      return {
        role: 'assistant',
        content: { type: 'text', text: say(params) },
        model: 'test-model',
      } as never;
    });
  }
  client.setNotificationHandler('notifications/resources/updated', async (n) => {
    updates.push(n.params.uri);
  });
  client.setNotificationHandler('notifications/message', async (n) => {
    logs.push(n.params.data);
  });
  let listChanged = 0;
  client.setNotificationHandler('notifications/resources/list_changed', async () => {
    listChanged++;
  });
  const transport = where.url
    ? new ModernHttp(new URL(where.url), {
        requestInit: opts.key ? { headers: { authorization: `Bearer ${opts.key}` } } : {},
        authProvider: opts.authProvider as never,
      })
    : new ModernStdio({ ...where.stdio!, stderr: 'ignore' });
  await client.connect(transport);
  const subscriptions: { close(): Promise<void> }[] = [];
  return {
    generation: '2026-07-28',
    protocolVersion: () => client.getNegotiatedProtocolVersion?.(),
    listTools: async () => (await client.listTools()).tools,
    callTool: async (name, args, options) =>
      (await client.callTool({ name, arguments: args }, options as never)) as CallResult,
    readResource: async (uri) => (await client.readResource({ uri })) as never,
    async watch(uris) {
      subscriptions.push(await client.listen({ resourceSubscriptions: uris, resourcesListChanged: true }));
    },
    updates,
    logs,
    listChanges: () => listChanged,
    asked,
    sampled,
    async close() {
      for (const s of subscriptions) await s.close().catch(() => {});
      await client.close();
    },
  };
}

async function connectLegacy(where: Where, opts: GenerationOptions): Promise<AnyClient> {
  const asked: string[] = [];
  const updates: string[] = [];
  const logs: unknown[] = [];
  const client = new LegacyClient(
    { name: 'voisa-test-2025', version: '1.0.0' },
    { capabilities: capabilitiesOf(opts) },
  );
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return answer(request.params.message, request.params) as never;
    });
  }
  const sampled: SampleParams[] = [];
  if (opts.sample) {
    const say = opts.sample;
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const params = request.params as unknown as SampleParams;
      sampled.push(params);
      return { role: 'assistant', content: { type: 'text', text: say(params) }, model: 'test-model' };
    });
  }
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updates.push(n.params.uri);
  });
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params.data);
  });
  let listChanged = 0;
  client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
    listChanged++;
  });
  const transport = where.url
    ? new LegacyHttp(new URL(where.url), {
        requestInit: opts.key ? { headers: { authorization: `Bearer ${opts.key}` } } : {},
        authProvider: opts.authProvider as never,
      })
    : new LegacyStdio({ ...where.stdio!, stderr: 'ignore' });
  // The client tells its transport the version initialize settled on; remember it on either transport.
  let negotiated: string | undefined;
  const versioned = transport as { setProtocolVersion?: (version: string) => void };
  const setVersion = versioned.setProtocolVersion?.bind(transport);
  versioned.setProtocolVersion = (version: string) => {
    negotiated = version;
    setVersion?.(version);
  };
  await client.connect(transport);
  return {
    generation: '2025-11-25',
    protocolVersion: () => negotiated,
    listTools: async () => (await client.listTools()).tools,
    callTool: async (name, args, options) =>
      (await client.callTool({ name, arguments: args }, undefined, options)) as CallResult,
    readResource: async (uri) => (await client.readResource({ uri })) as never,
    async watch(uris) {
      for (const uri of uris) await client.subscribeResource({ uri });
    },
    updates,
    logs,
    listChanges: () => listChanged,
    asked,
    sampled,
    close: () => client.close(),
  };
}

/** What a test client declares: elicitation with `elicit`, sampling with `sample`. */
function capabilitiesOf(opts: GenerationOptions): Record<string, object> {
  return {
    ...(opts.elicit ? { elicitation: { form: {} } } : {}),
    ...(opts.sample ? { sampling: {} } : {}),
  };
}
