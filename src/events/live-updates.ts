/**
 * Live updates for one MCP session: `voisa://events` (the most recent webhook
 * events), resource subscriptions answered with `notifications/resources/updated`
 * when an event names the subscribed conversation or agent, and every event as a
 * log notification. Attach before the server connects (capabilities are fixed then).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  ErrorCode,
  McpError,
  type Resource,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { EVENTS_URI, type EventHub, urisChangedBy } from './hub.js';

export interface LiveUpdatesOptions {
  hub: EventHub;
  /** Subscriptions and event notifications need a session to deliver to: off in stateless mode. */
  subscriptions: boolean;
  /** Per session, default 1000. */
  maxSubscriptions?: number;
}

/** The `voisa://events` entry, as listed and as registered. */
export function eventsResource(limit: number): Resource {
  return {
    uri: EVENTS_URI,
    name: 'events',
    title: 'Recent VOISA events',
    description: `The last ${limit} VOISA webhook events this server received (newest first): conversation.started/ended/failed, agent.created/updated, tool.executed/failed.`,
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
        text: JSON.stringify({ events: hub.recent(), limit: hub.limit }),
      },
    ],
  }));
  if (!opts.subscriptions) return () => {};

  const server = mcp.server;
  const max = opts.maxSubscriptions ?? 1000;
  const subscribed = new Set<string>();
  server.registerCapabilities({ resources: { subscribe: true } });
  server.setRequestHandler(SubscribeRequestSchema, (request) => {
    const { uri } = request.params;
    if (!subscribed.has(uri) && subscribed.size >= max) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `At most ${max} subscriptions per session; unsubscribe from some first.`,
      );
    }
    subscribed.add(uri);
    return {};
  });
  server.setRequestHandler(UnsubscribeRequestSchema, (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });

  const stop = hub.subscribe((event) => {
    const data = { id: event.id, event: event.event, timestamp: event.timestamp, data: event.data };
    void server
      .sendLoggingMessage({ level: 'info', logger: 'voisa.webhooks', data }, server.transport?.sessionId)
      .catch(() => {});
    for (const uri of urisChangedBy(event)) {
      if (subscribed.has(uri)) void server.sendResourceUpdated({ uri }).catch(() => {});
    }
  });
  const previous = server.onclose;
  server.onclose = () => {
    previous?.();
    stop();
  };
  return stop;
}
