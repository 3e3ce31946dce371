/** What resources and prompts need from the server: the client, per-request options, progress. */
import type { ServerContext } from '@modelcontextprotocol/server';
import type { SignIn } from '../tools/result.js';
import type { RequestOptions, VoisaClient } from '../voisa/index.js';

export type Extra = ServerContext;

export interface ApiDeps {
  /** The VOISA client of this session. */
  api: VoisaClient;
  /** Client options for one MCP request (abort signal, log hooks). Default: the request's abort signal. */
  requestOptions?: (extra: Extra) => RequestOptions;
  /** How the principal authenticated: what a refused key's error tells it to do. Default `key`. */
  signIn?: SignIn;
}

export function optionsFor(deps: ApiDeps, extra: Extra): RequestOptions {
  return deps.requestOptions?.(extra) ?? { signal: extra.mcpReq.signal };
}

export type Progress = (done: number, total?: number, message?: string) => void;

/**
 * Sends `notifications/progress` when the request carries a progress token; a
 * no-op otherwise. Values that would not increase are dropped (the spec wants
 * them strictly increasing).
 */
export function progressFor(extra: Extra): Progress {
  const progressToken = extra.mcpReq._meta?.progressToken;
  let last = Number.NEGATIVE_INFINITY;
  return (done, total, message) => {
    if (progressToken === undefined || done <= last) return;
    last = done;
    void extra.mcpReq
      .notify({
        method: 'notifications/progress',
        params: { progressToken, progress: done, total, message },
      })
      .catch(() => {});
  };
}
