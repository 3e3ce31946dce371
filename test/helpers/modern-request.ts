/**
 * One protocol 2026-07-28 request by hand, as an SDK client sends it (the `_meta` envelope in the
 * body, the standard headers), so a test sees every field the server answers and can send what a
 * client would not (a replayed or forged `requestState`).
 */

export interface ModernAnswer {
  status: number;
  /** Every JSON-RPC message of the answer (one for JSON, several for SSE). */
  messages: Record<string, any>[];
  /** The answer to the request itself. */
  result: Record<string, any> | undefined;
  error: Record<string, any> | undefined;
}

export interface ModernOptions {
  /** Bearer key. */
  key?: string;
  capabilities?: object;
  logLevel?: string;
  /** Extra params beside the method's own (`requestState`, `inputResponses`). */
  extra?: Record<string, unknown>;
}

export const ELICIT = { elicitation: { form: {} } };
/** The `inputResponses` of a user who said yes to our confirmation question. */
export const ACCEPTED = { confirm: { action: 'accept', content: { confirm: true } } };

export async function postModern(
  mcpUrl: string,
  method: string,
  params: Record<string, unknown>,
  opts: ModernOptions = {},
): Promise<ModernAnswer> {
  const meta: Record<string, unknown> = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': opts.capabilities ?? {},
  };
  if (opts.logLevel) meta['io.modelcontextprotocol/logLevel'] = opts.logLevel;
  const name = (params.name ?? params.uri) as string | undefined;
  const res = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name && (method === 'tools/call' || method === 'resources/read') ? { 'mcp-name': name } : {}),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method,
      params: { ...params, ...opts.extra, _meta: meta },
    }),
  });
  const body = await res.text();
  const messages = res.headers.get('content-type')?.includes('text/event-stream')
    ? body
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => JSON.parse(l.slice(6)))
    : body
      ? [JSON.parse(body)]
      : [];
  const answer = messages.find((m) => m.id === 7);
  return { status: res.status, messages, result: answer?.result, error: answer?.error };
}
