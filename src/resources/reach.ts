/**
 * What an OAuth grant reaches of the resources, prompts and completions (the rows of REACH in
 * tools/scopes.ts). The methods that serve them are wrapped, whichever handler McpServer or this server
 * installs for them: lists show only what the grant reaches, and a direct request for anything else is
 * refused with an error naming the scope it needs. A plain API key (no scopes) reaches everything and
 * nothing is wrapped.
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  type Server,
  type ServerContext,
  UriTemplate,
} from '@modelcontextprotocol/server';
import { describeNeed, REACH, type Reach, reaches, reachOf } from '../tools/scopes.js';

/** Whether the grant reaches the surface with this REACH id. */
export type Reachable = (id: string) => boolean;

export const reachesAll: Reachable = () => true;

export function reachable(scopes: readonly string[] | undefined): Reachable {
  return scopes ? (id) => reaches(scopes, reachOf(id).needs) : reachesAll;
}

/** Templates most specific first, so a transcript URI is not taken for its conversation's. */
const TEMPLATES = REACH.filter((r) => r.kind === 'template')
  .map((row) => ({ row, template: new UriTemplate(row.id) }))
  .sort((a, b) => b.row.id.length - a.row.id.length);

/** The row of a resource URI (its own, or its template's); undefined when none names it (then it is not found). */
export function rowOfUri(uri: string): Reach | undefined {
  return (
    REACH.find((r) => (r.kind === 'resource' || r.kind === 'view') && r.id === uri) ??
    TEMPLATES.find((t) => t.template.match(uri))?.row
  );
}

/** The row of a prompt; undefined for a name REACH does not know (then the prompt is not found). */
const promptRow = (name: string) => REACH.find((r) => r.kind === 'prompt' && r.id === name);

/** The JSON-RPC error for a request the grant does not reach: it names the scope and the way to get it. */
export function scopeRefusal(what: string, row: Reach): ProtocolError {
  const needs = describeNeed(row.needs, false);
  return new ProtocolError(
    ProtocolErrorCode.InvalidRequest,
    `INSUFFICIENT_SCOPE: ${what} needs the ${needs} scope, which this grant does not include. Connect again and allow ${needs} on the consent page.`,
    { reason: 'insufficient_scope', scope: needs, surface: row.id },
  );
}

type Params = Record<string, unknown> & {
  uri?: string;
  name?: string;
  ref?: { type?: string; uri?: string; name?: string };
};
type Next = () => Promise<unknown>;
type Wrap = (params: Params, next: Next) => unknown;

/**
 * Wraps the resource, prompt and completion methods of `server` for a grant of `scopes`. Call it
 * before anything is registered: every handler installed afterwards for these methods goes through
 * the check.
 */
export function guardReach(server: Server, scopes: readonly string[]): void {
  const can = reachable(scopes);
  const demand = (row: Reach | undefined, what: string) => {
    if (row && !reaches(scopes, row.needs)) throw scopeRefusal(what, row);
  };
  const demandUri = (uri: string | undefined, verb: string) => {
    if (uri) demand(rowOfUri(uri), `${verb} ${uri}`);
  };
  const wraps: Record<string, Wrap> = {
    'resources/read': (p, next) => {
      demandUri(p.uri, 'reading');
      return next();
    },
    'resources/templates/list': async (_p, next) => {
      if (!can('resources/templates/list')) return { resourceTemplates: [] };
      const r = (await next()) as { resourceTemplates: { uriTemplate: string }[] };
      return { ...r, resourceTemplates: r.resourceTemplates.filter((t) => can(t.uriTemplate)) };
    },
    'resources/subscribe': (p, next) => {
      demand(reachOf('resources/subscribe'), 'resources/subscribe');
      demandUri(p.uri, 'subscribing to');
      return next();
    },
    'resources/unsubscribe': (_p, next) => {
      demand(reachOf('resources/subscribe'), 'resources/unsubscribe');
      return next();
    },
    'prompts/list': async (_p, next) => {
      const r = (await next()) as { prompts: { name: string }[] };
      return { ...r, prompts: r.prompts.filter((p) => can(p.name)) };
    },
    'prompts/get': (p, next) => {
      if (p.name) demand(promptRow(p.name), `the prompt ${p.name}`);
      return next();
    },
    'completion/complete': (p, next) => {
      demand(reachOf('completion/complete'), 'completion/complete');
      const ref = p.ref;
      if (ref?.type === 'ref/prompt' && ref.name)
        demand(promptRow(ref.name), `completing the prompt ${ref.name}`);
      if (ref?.type === 'ref/resource' && ref.uri)
        demand(
          REACH.find((r) => r.id === ref.uri),
          `completing ${ref.uri}`,
        );
      return next();
    },
  };
  const set = server.setRequestHandler.bind(server) as (method: string, ...rest: unknown[]) => void;
  const wrapped = (method: string, ...rest: unknown[]) => {
    const [handler] = rest;
    const wrap = wraps[method];
    if (!wrap || rest.length !== 1 || typeof handler !== 'function') return set(method, ...rest);
    const run = handler as (request: { params?: Params }, ctx: ServerContext) => unknown;
    return set(method, (request: { params?: Params }, ctx: ServerContext) =>
      wrap(request.params ?? {}, async () => run(request, ctx)),
    );
  };
  server.setRequestHandler = wrapped as Server['setRequestHandler'];
}
