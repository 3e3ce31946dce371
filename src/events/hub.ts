/**
 * The event hub: verified VOISA webhook events fan out from here to the live MCP sessions (log
 * notifications, `resources/updated`) and to `voisa://events` of the principal they belong to, never
 * to another's. Knows nothing of HTTP or MCP.
 *
 * Every event has an owner: the opaque id of the principal (a VOISA key, sent or behind an OAuth grant)
 * whose webhook URL and secret received it (see ../http/tenants.ts). Each owner has its own ring of
 * recent events, so one busy account never pushes another's out; the number of owners and of events
 * held in all is bounded, the least recently active owner going first.
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

/** One principal's face of the hub: its recent events and its new ones (structurally ToolEvents). */
export interface OwnerEvents {
  recent(): VoisaEvent[];
  subscribe(listener: EventListener): () => void;
}

export const DEFAULT_RECENT_EVENTS = 100;
/** Events held for all owners together; past it the least recently active owner loses its oldest. */
export const MAX_HELD_EVENTS = 20_000;

export class EventHub {
  /** Recent events by owner, oldest first; the map itself least recently published first. */
  readonly #recent = new Map<string, VoisaEvent[]>();
  readonly #listeners = new Map<string, Set<EventListener>>();
  readonly #maxHeld: number;
  #held = 0;

  /** `limit`: recent events kept per owner. */
  constructor(
    readonly limit = DEFAULT_RECENT_EVENTS,
    maxHeld = MAX_HELD_EVENTS,
  ) {
    this.#maxHeld = Math.max(limit, maxHeld);
  }

  /** Records the event for its owner and tells that owner's listeners; a throwing listener does not stop the others. */
  publish(event: VoisaEvent, owner: string): void {
    const ring = this.#recent.get(owner) ?? [];
    this.#recent.delete(owner); // re-inserted last: most recently active
    this.#recent.set(owner, ring);
    ring.push(event);
    this.#held++;
    if (ring.length > this.limit) {
      ring.shift();
      this.#held--;
    }
    this.#evict(owner);
    for (const listener of this.#listeners.get(owner) ?? []) {
      try {
        listener(event);
      } catch {
        // a session that went away mid-delivery must not block the others
      }
    }
  }

  /** The owner's most recent events, newest first. */
  recent(owner: string): VoisaEvent[] {
    return [...(this.#recent.get(owner) ?? [])].reverse();
  }

  /** Adds a listener for one owner's events; returns the function that removes it. */
  subscribe(owner: string, listener: EventListener): () => void {
    const set = this.#listeners.get(owner) ?? new Set<EventListener>();
    this.#listeners.set(owner, set.add(listener));
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(owner) === set) this.#listeners.delete(owner);
    };
  }

  /** What one principal may see: its own events only. */
  view(owner: string): OwnerEvents {
    return {
      recent: () => this.recent(owner),
      subscribe: (listener) => this.subscribe(owner, listener),
    };
  }

  get listenerCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  /** Drops the oldest events of the least recently active owners until the total fits (never `keep`'s). */
  #evict(keep: string): void {
    for (const [owner, ring] of this.#recent) {
      if (this.#held <= this.#maxHeld) return;
      if (owner === keep) continue;
      this.#held -= ring.length;
      this.#recent.delete(owner);
    }
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
