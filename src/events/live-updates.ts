import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type Resource,
} from '@modelcontextprotocol/server';
import { changesResourceList, EVENTS_URI, type EventHub, urisChangedBy } from './hub.js';

export interface LiveUpdatesOptions {
  hub: EventHub;
  /** The principal this server acts for (its opaque id): it sees and hears of its own events only. */
  owner: string;
  /**
   * How updates reach the client: `session`: a 2025-era session's own stream (`resources/subscribe`,
   * unsolicited notifications); `listen`: 2026-07-28 `subscriptions/listen` streams, fed by the serving
   * entry's event bus (the server only declares the capability); `none`: stateless 2025-era requests.
   */
  delivery: 'session' | 'listen' | 'none';
  /** Per session, default 1000. */
  maxSubscriptions?: number;
  /** Deliver nothing (an OAuth grant without `voisa:read`; its subscribe requests are refused, resources/reach.ts). */
  silent?: boolean;
}

/** The `voisa://events` entry, as listed and as registered. */
export function eventsResource(limit: number): Resource {
  return {
    uri: EVENTS_URI,
    name: 'events',
    title: 'Recent VOISA events',
    description: `The last ${limit} VOISA webhook events of this account (newest first): conversation.started/ended/failed, agent.created/updated, tool.executed/failed.`,
    mimeType: 'application/json',
  };
}

/** Registers the resource, capability and handlers; returns the function that stops delivery. */
export function attachLiveUpdates(mcp: McpServer, opts: LiveUpdatesOptions): () => void {
  const { hub } = opts;
  const { uri, name, ...meta } = eventsResource(hub.limit);
  mcp.registerResource(name, uri, meta, async () => ({
    contents: [
      {
        uri: EVENTS_URI,
        mimeType: 'application/json',
        text: JSON.stringify({ events: hub.recent(opts.owner), limit: hub.limit }),
      },
    ],
  }));
  if (opts.delivery === 'none') return () => {};
  const server = mcp.server;
  server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  if (opts.delivery === 'listen') return () => {};

  const max = opts.maxSubscriptions ?? 1000;
  const subscribed = new Set<string>();
  server.setRequestHandler('resources/subscribe', (request) => {
    const { uri } = request.params;
    if (!subscribed.has(uri) && subscribed.size >= max) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidParams,
        `At most ${max} subscriptions per session; unsubscribe from some first.`,
      );
    }
    subscribed.add(uri);
    return {};
  });
  server.setRequestHandler('resources/unsubscribe', (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
  if (opts.silent) return () => {};

  const stop = hub.subscribe(opts.owner, (event) => {
    const data = { id: event.id, event: event.event, timestamp: event.timestamp, data: event.data };
    void server
      .sendLoggingMessage({ level: 'info', logger: 'voisa.webhooks', data }, server.transport?.sessionId)
      .catch(() => {});
    for (const uri of urisChangedBy(event)) {
      if (subscribed.has(uri)) void server.sendResourceUpdated({ uri }).catch(() => {});
    }
    if (changesResourceList(event)) void server.sendResourceListChanged().catch(() => {});
  });
  const previous = server.onclose;
  server.onclose = () => {
    previous?.();
    stop();
  };
  return stop;
}
