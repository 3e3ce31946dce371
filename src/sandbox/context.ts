/** What route handlers get: the request, its parsed parts and the sandbox environment. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { invalid } from './errors.js';
import type { ParsedBody } from './http.js';
import type { Accounts, Store } from './store.js';
import type { ApiKeyRecord, Permission } from './types.js';
import type { WebhookDispatcher } from './webhooks.js';

export interface SandboxEnv {
  /** Every account's records and keys; a route reads only `RouteContext.store`. */
  accounts: Accounts;
  webhooks: WebhookDispatcher;
  trainingMs: number;
  callMs: number;
  /** make-call and webhook payloads without the sandbox's extra fields (see SandboxOptions). */
  referenceShape: boolean;
  /** e.g. http://127.0.0.1:4010/v1 */
  baseUrl: string;
  /** Runs `fn` after `ms` on an unref'd timer that close() clears. */
  schedule(fn: () => void, ms: number): void;
}

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: Record<string, string>;
  body: ParsedBody;
  key: ApiKeyRecord | undefined;
  /** The calling key's account: the only records a route may read or change (empty without a key). */
  store: Store;
  env: SandboxEnv;
}

/** A JSON answer in the success envelope, or `handled` when the handler wrote the response itself. */
export type RouteResult = { status?: number; data?: unknown; message?: string } | 'handled';

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. `/api/agents/:agent_id/chat` */
  pattern: string;
  /** Permission required; `null` = no API key needed. */
  permission: Permission | null;
  handler(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

/** The JSON body as an object (missing body = `{}`); multipart or non-object JSON is INVALID_REQUEST. */
export function jsonBody(ctx: RouteContext): unknown {
  if (ctx.body.kind === 'none') return {};
  if (ctx.body.kind === 'multipart') throw invalid('Expected an application/json body', 'body');
  return ctx.body.value;
}

export function param(ctx: RouteContext, name: string): string {
  return ctx.params[name] ?? '';
}
