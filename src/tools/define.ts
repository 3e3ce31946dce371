/**
 * A tool is data: name, title, toolset, description, annotations, input and
 * output schemas, and a short handler that calls one client method. The server
 * registers the whole catalogue in one loop (see ../mcp/server.ts); nothing here
 * knows about HTTP or the transport.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { CallGuard } from '../policy/policy.js';
import type { RequestOptions, VoisaClient } from '../voisa/index.js';
import type { FileAccess } from './files.js';

export const TOOLSETS = [
  'account',
  'agents',
  'knowledge_base',
  'conversations',
  'mcp_servers',
  'analytics',
  'calls',
  'voices',
  'webhooks',
] as const;
export type Toolset = (typeof TOOLSETS)[number];

/**
 * MCP Apps views (built by scripts/build-views.mjs, served by ../resources/views.ts): a tool that
 * names one gets `_meta.ui.resourceUri` in tools/list; its results are the same with or without it.
 */
export const VIEWS = ['call', 'analytics', 'agent'] as const;
export type View = (typeof VIEWS)[number];
export const viewUri = (view: View): string => `ui://voisa/${view}`;

/**
 * MCP content blocks a handler may add beside its structured result: a note, or bytes the caller asked
 * for as an embedded resource. No `audio` or `resource_link` blocks: several frameworks cannot pass
 * them to their model (docs/clients/other-clients.md, "What each tool returns"); URIs go in the structured result instead.
 */
export type ExtraContent =
  | { type: 'resource'; resource: { uri: string; mimeType: string; blob: string } }
  | { type: 'text'; text: string };

/**
 * A question for the client's own model (MCP sampling): the system prompt, and the conversation so far
 * as the model sees it (`user`: what it hears, `assistant`: what it said before).
 */
export interface ModelQuestion {
  system: string;
  messages: { role: 'user' | 'assistant'; text: string }[];
  maxTokens: number;
}

/**
 * What a handler of a tool that `asksModel` returns to put a question to the client's model and run
 * again with the answer: `state` (small: it travels sealed through the client) comes back with it in
 * `ToolContext.model.resumed`. The server turns it into the protocol's exchange (mcp/server.ts).
 */
export class AskModel {
  constructor(
    readonly question: ModelQuestion,
    readonly state: unknown,
  ) {}
}

/** What a handler returns when the structured data alone is not the whole answer. */
export class WithContent<T> {
  constructor(
    readonly data: T,
    readonly extra: ExtraContent[],
  ) {}
}

/** One webhook event as the server received it (`{event, timestamp, data}`). */
export interface ReceivedEvent {
  event: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** The webhook events this server receives (HTTP with a webhook secret); structurally the event hub. */
export interface ToolEvents {
  /** Recent events, newest first. */
  recent(): readonly ReceivedEvent[];
  /** Calls `listener` for each new event; returns the function that stops it. */
  subscribe(listener: (event: ReceivedEvent) => void): () => void;
}

/** What `make_call` sent, kept so `wait_for_call` can follow the call from its id alone. */
export interface PlacedCall {
  call_id: string;
  agent_id: string;
  phone_number: string;
  /** Epoch ms just before make-call was sent. */
  started_at: number;
  conversation_id?: string;
}

/**
 * The placed calls of one VOISA key (one key's call ids tell nothing to another): in this process by
 * default, shared by every instance when they share state. A store that cannot reach what it shares
 * says so by rejecting `recall` (and only when it does not know the call itself); `remember` and
 * `sameLine` never reject: they report their own faults and fall back to what this process knows.
 */
export interface PlacedCalls {
  /** Keeps (or updates: the conversation found for it) a call for a few hours. */
  remember(call: PlacedCall): Promise<void>;
  recall(callId: string): Promise<PlacedCall | undefined>;
  /** The remembered calls of this key to this agent and number, to tell calls to one line apart. */
  sameLine(agentId: string, phoneNumber: string): Promise<PlacedCall[]>;
}

export interface ToolContext {
  /** The VOISA client for this session (its key). */
  api: VoisaClient;
  /** Pass to every client call: carries the MCP request's abort signal, progress and log hooks. */
  req: RequestOptions;
  /** Local file access under the session's rules (roots, working directory, or none). */
  files: FileAccess;
  /** `notifications/progress` for this request; a no-op without a progress token. Values only increase. */
  progress: (done: number, total?: number, message?: string) => void;
  /** Webhook events, when this server receives them. */
  events?: ToolEvents;
  /** This key's placed calls when instances share them; else each process keeps its own per client. */
  calls?: PlacedCalls;
  /**
   * Aborted when the server begins to stop (a restart): long waits (`wait_for_call`) answer at once
   * with what they know and a hint to call again, rather than hold the shutdown up.
   */
  stopping?: AbortSignal;
  /**
   * The grant may place and follow calls but not read the account (OAuth `voisa:calls` without
   * `voisa:read`): `wait_for_call` follows only calls placed through this server, and tells their outcome
   * without their content.
   */
  callsOnly?: boolean;
  /** Where this server receives the caller's own webhooks (hosted HTTP), for `configure_webhook`. */
  webhook?: WebhookTarget;
  /**
   * The call policy for this principal: `make_call` takes a budget slot through it just before it sends,
   * and `wait_for_call` frees the in-progress slot of a call it sees end. With `dryRun`, nobody is rung.
   */
  calling?: CallGuard;
  /**
   * For a tool that `asksModel`: whether the client lends its model (declares sampling), and, on the
   * run after an `AskModel`, the state it carried and the model's answer.
   */
  model?: { canAsk: boolean; resumed?: { state: unknown; answer: string } };
}

/**
 * The caller's own webhook receiver on this server: a URL and a signing secret that are this
 * principal's alone, so the events they bring reach nobody else. The secret is never shown.
 */
export interface WebhookTarget {
  url: string;
  secret: string;
  /** True for any of this server's webhook URLs (the shared one, or any principal's). */
  isOurs(url: string): boolean;
}

export interface ToolDefinition<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  toolset: Toolset;
  description: string;
  annotations: ToolAnnotations;
  input: I;
  /** The client's response schema; the server publishes a compact JSON Schema derived from it. */
  output: O;
  /** The MCP Apps view that renders this tool's results in hosts that support Apps. */
  view?: View;
  /** The result carries text written by callers or third parties (transcripts, chat replies, KB content). */
  untrusted?: boolean;
  /**
   * For actions a human should approve (a phone call, a deletion): the question
   * put to the user through elicitation, when the client supports it. Returning
   * undefined skips confirmation.
   */
  confirm?: (args: z.infer<z.ZodObject<I>>) => string;
  /** The handler may return `AskModel` to ask the client's model and be run again with its answer. */
  asksModel?: boolean;
  run(
    args: z.infer<z.ZodObject<I>>,
    ctx: ToolContext,
  ): Promise<z.infer<O> | WithContent<z.infer<O>> | AskModel>;
}

/** Identity function that ties the handler's argument type to the input shape. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodType>(
  def: ToolDefinition<I, O>,
): ToolDefinition<I, O> {
  return def;
}

/** The catalogue holds tools of many shapes; this is the erased type. */
// biome-ignore lint/suspicious/noExplicitAny: erased generic parameters of a heterogeneous list
export type AnyTool = ToolDefinition<any, any>;

export const READ_ONLY: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
