/**
 * The event hub: verified VOISA webhook events fan out from here to every live
 * MCP session (log notifications, `resources/updated`) and to `voisa://events`.
 * Knows nothing of HTTP or MCP.
 */

/** One VOISA webhook event as delivered: `{id, event, timestamp, data}`. */
export interface VoisaEvent {
  id: string;
  event: string;
  timestamp: string;
  data: Record<string, unknown>;
  /** When this server accepted it (ISO 8601). */
  received_at: string;
}

export type EventListener = (event: VoisaEvent) => void;

export const DEFAULT_RECENT_EVENTS = 100;

export class EventHub {
  readonly #recent: VoisaEvent[] = [];
  readonly #listeners = new Set<EventListener>();

  constructor(readonly limit = DEFAULT_RECENT_EVENTS) {}

  /** Records the event and tells every listener; a throwing listener does not stop the others. */
  publish(event: VoisaEvent): void {
    this.#recent.push(event);
    if (this.#recent.length > this.limit) this.#recent.splice(0, this.#recent.length - this.limit);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // a session that went away mid-delivery must not block the others
      }
    }
  }

  /** The most recent events, newest first. */
  recent(): VoisaEvent[] {
    return [...this.#recent].reverse();
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}

export const EVENTS_URI = 'voisa://events';

/** The resource URIs an event changes: its conversation (and transcript, audio), its agent, the event list. */
export function urisChangedBy(event: VoisaEvent): string[] {
  const uris = [EVENTS_URI];
  const conversationId = stringField(event.data, 'conversation_id');
  if (conversationId) {
    const base = `voisa://conversations/${encodeURIComponent(conversationId)}`;
    uris.push(base, `${base}/transcript`, `${base}/audio`);
  }
  const agentId = stringField(event.data, 'agent_id');
  if (agentId && event.event.startsWith('agent.')) uris.push(`voisa://agents/${encodeURIComponent(agentId)}`);
  return uris;
}

/** Events after which `resources/list` answers differently (a new agent, a new conversation). */
export function changesResourceList(event: VoisaEvent): boolean {
  return event.event === 'agent.created' || event.event === 'conversation.started';
}

function stringField(data: Record<string, unknown>, name: string): string | undefined {
  const v = data[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}
