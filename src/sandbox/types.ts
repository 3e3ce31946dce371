/** Public and internal types of the VOISA sandbox (see docs/contracts.md). */

export interface SandboxOptions {
  /** Interface to bind, default 127.0.0.1. */
  host?: string;
  /** Port, default 0 (ephemeral). */
  port?: number;
  /** A new agent stays `training` this long, default 3000. */
  trainingMs?: number;
  /** A make-call conversation is `ongoing` this long, default 4000. */
  callMs?: number;
  /** Requests per minute per API key, default 100; 0 = unlimited. */
  rateLimitPerMin?: number;
  /** Deliver webhooks to non-loopback URLs too (default false: loopback only). */
  externalWebhooks?: boolean;
  /** Preconfigured webhooks, each on one account (default the demo account, `acc_demo001`). */
  webhooks?: { url: string; events: string[]; secret?: string; account_id?: string }[];
  /** Seeded demo data, default true. */
  seed?: boolean;
  /**
   * Answer exactly as the API reference shows where the sandbox otherwise adds fields:
   * make-call returns only `{call_id, status}`, webhook payloads carry no `call_id`. Default false.
   */
  referenceShape?: boolean;
}

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + '/v1': what VOISA_BASE_URL is set to. */
  baseUrl: string;
  /** read + write + delete */
  demoKey: string;
  /** read only */
  readOnlyKey: string;
  demoAccount: { email: string; password: string };
  /** read + write + delete on the second demo account (its own agents, calls, webhooks). */
  secondKey: string;
  secondAccount: { email: string; password: string };
  /** The key answers 401 INVALID_API_KEY from now on (a rotated key) until reset. */
  revokeKey(key: string): void;
  /** Request log (API routes only, not /__sandbox). */
  requests(): RequestLogEntry[];
  clearRequests(): void;
  injectFault(f: FaultSpec): void;
  clearFaults(): void;
  close(): Promise<void>;
}

export interface RequestLogEntry {
  method: string;
  /** Path relative to baseUrl, e.g. /api/agents/list */
  path: string;
  query: Record<string, string>;
  /** JSON body parsed (null when none); multipart: `{ fields, files: [{ field, name, size, type }] }` */
  body: unknown;
  /** 0 when no answer was sent (connection reset by a fault, or client gone). */
  status: number;
  /** The client went away before the answer. */
  aborted: boolean;
  startedAt: string;
  /** The account of the API key sent (never the key itself); null when none or unknown. */
  account_id: string | null;
  /** The W3C `traceparent` header the request carried, when it had one (trace context reaching VOISA). */
  traceparent?: string;
}

export interface FaultSpec {
  method?: string;
  /** Only requests whose API key belongs to this account (e.g. `acc_demo001`). */
  account_id?: string;
  /** Only requests sent with this API key. */
  key?: string;
  /** Exact path relative to /v1, or a prefix ending in '*'. */
  path?: string;
  /** Default 1. */
  times?: number;
  status?: number;
  code?: string;
  message?: string;
  field?: string;
  retryAfter?: string;
  /** Delay, then answer normally (or with the fault). */
  delayMs?: number;
  /** Destroy the socket without answering. */
  reset?: boolean;
  malformed?: 'non-json' | 'non-envelope';
}

export type Permission = 'read' | 'write' | 'delete';

export interface ApiKeyRecord {
  key: string;
  accountId: string;
  permissions: Permission[];
  expiresAt: string;
  /** Revoked (rotated): answers 401 INVALID_API_KEY. */
  revoked?: boolean;
}

export interface AgentRecord {
  id: string;
  name: string;
  description?: string;
  status: 'active' | 'inactive' | 'training';
  industry?: string;
  created_at: string;
  updated_at: string;
  config: Record<string, unknown>;
  tools: string[];
}

export interface KbRecord {
  id: string;
  agent_id: string;
  type: 'document' | 'url' | 'text';
  name: string;
  category?: string;
  created_at: string;
  /** The text the agent answers from. */
  content: string;
  url?: string;
  refresh_interval?: number;
  size?: number;
  mime_type?: string;
}

export interface TranscriptTurn {
  speaker: 'agent' | 'user';
  text: string;
  timestamp: string;
}

export interface ConversationRecord {
  id: string;
  agent_id: string;
  call_id?: string;
  phone_number: string;
  duration: number;
  status: 'success' | 'failed' | 'ongoing';
  started_at: string;
  ended_at: string | null;
  sentiment: 'positive' | 'neutral' | 'negative' | null;
  summary: string | null;
  intent: string;
  transcript: TranscriptTurn[];
  metadata: { tools_used: string[]; data_collected: Record<string, unknown> };
}

export interface McpToolRecord {
  name: string;
  description: string;
  parameters: Record<string, string>;
}

export interface McpServerRecord {
  id: string;
  name: string;
  url: string;
  status: 'connected' | 'disconnected';
  tools: McpToolRecord[];
}

export interface VoiceRecord {
  id: string;
  name: string;
  language: string;
  gender: string;
  preview_url: string;
  description?: string;
  custom?: boolean;
  samples?: { name: string; size: number; type: string }[];
  created_at?: string;
}

export interface WebhookRecord {
  id: string;
  url: string;
  events: string[];
  secret?: string;
  created_at: string;
}
