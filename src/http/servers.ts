/**
 * The MCP server a request, session or legacy stream is served by: one from the factory (mcp/server.ts)
 * per principal, with what the app lends every one of them (files, events, confirmations, placed calls).
 */
import type { McpServer } from '@modelcontextprotocol/server';
import type { AuditTrail } from '../audit/trail.js';
import type { EventHub } from '../events/hub.js';
import type { LiveUpdatesOptions } from '../events/live-updates.js';
import type { ConfirmOptions } from '../mcp/confirm.js';
import type { LogFn } from '../mcp/log.js';
import { createServer, type ServerDeps } from '../mcp/server.js';
import type { CallPolicy } from '../policy/policy.js';
import type { SharedState } from '../scale/index.js';
import type { Telemetry } from '../telemetry/types.js';
import type { ToolFilter } from '../tools/index.js';
import type { VoisaClient } from '../voisa/index.js';
import type { Caller } from '../web/env.js';
import type { Tenants } from './tenants.js';

/**
 * Who a server acts for: the key, its hash, and for a grant the tools and scopes it allows, the grant
 * and its client.
 */
export type Principal = Pick<Caller, 'key' | 'hash' | 'filter' | 'grantId' | 'client'>;

/**
 * A server for `caller` through `api` (its pooled client), delivering live updates as `delivery` says.
 * `owner` is the principal's opaque id, the owner of its events (computed once per request by the caller).
 */
export type BuildServer = (
  api: VoisaClient,
  delivery: LiveUpdatesOptions['delivery'],
  caller: Principal,
  owner?: string,
) => McpServer;

export interface ServerBuilderDeps {
  /** The server's tool filter; a grant's own replaces it. */
  filter?: ToolFilter;
  files: ServerDeps['files'];
  log: LogFn;
  hub: EventHub;
  tenants: Pick<Tenants, 'idOf' | 'target'>;
  /** Whether the webhook receivers are on: only then does configure_webhook get the principal's own. */
  receiving: boolean;
  confirm: Omit<ConfirmOptions, 'principal'>;
  shared: Pick<SharedState, 'placedCallsFor'>;
  stopping: AbortSignal;
  /** The call policy and the audit trail (--call-policy, --dry-run-calls, --audit-log). */
  policy?: CallPolicy;
  audit?: AuditTrail;
  /** This instance's name in audit lines. */
  instance?: string;
  /** Names a principal by a keyed hash (security/secret.ts principalNamer). */
  principalName: (subject: string) => string;
  /** Spans and metrics of every server built (mcp/traced.ts). */
  telemetry?: Telemetry;
  /** The workflow skills, attached to every server built. */
  skills?: ServerDeps['skills'];
}

export function serverBuilder(d: ServerBuilderDeps): BuildServer {
  return (api, delivery, caller, owner = d.tenants.idOf(caller.hash)) => {
    const { key: principal, filter = d.filter } = caller;
    return createServer({
      api,
      filter,
      // The grant's reach beyond tools; undefined (everything) for a plain API key.
      scopes: filter?.scopes,
      // Only an OAuth grant has scopes: its refused key sends the user back to sign-in.
      signIn: filter?.scopes ? 'oauth' : 'key',
      files: d.files,
      log: d.log,
      // This principal's events only; configure_webhook registers its own receiver.
      events: { hub: d.hub, delivery, owner },
      webhook: d.receiving ? d.tenants.target(owner) : undefined,
      // One confirmation, one call: its nonce is claimed in the shared state (Redis, or this process).
      confirm: { ...d.confirm, principal },
      // The principal is the VOISA key the request acts with (sent, the server's, or an OAuth grant's).
      calls: d.shared.placedCallsFor?.(principal),
      stopping: d.stopping,
      policy: d.policy,
      audit: d.audit,
      instance: d.instance,
      telemetry: d.telemetry,
      skills: d.skills,
      // Each API key, and each OAuth grant, has budgets of its own; named by a keyed hash, never the key.
      principal: {
        id: d.principalName(caller.grantId ? `grant:${caller.grantId}` : `key:${caller.hash}`),
        ...(caller.client ? { client: caller.client } : {}),
      },
    });
  };
}
