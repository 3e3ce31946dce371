/**
 * Resumable streams for 2025-era sessions: every SSE message of a session is stored with an event id,
 * and a client that reconnects with `Last-Event-ID` gets what it missed. In memory by default; in
 * Redis (one Redis Stream per session stream) when instances share state, so a session can resume on
 * whichever instance holds it after a restart of the balancer's choice.
 *
 * Each session gets its own view (`forSession`): stream ids are per transport (the standalone GET
 * stream has the same id in every session), so the view prefixes them with the session id, and an
 * event id from another session never replays anything.
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';
import type { RedisLink } from './redis.js';

export interface SessionEventStores {
  forSession(sessionId: string): EventStore;
  /** Drops what a finished session kept. */
  forget(sessionId: string): void;
}

/** Events kept per stream; a client away for longer than this many messages starts afresh. */
export const EVENTS_PER_STREAM = 200;

const encode = (streamId: StreamId, seq: string) => `${Buffer.from(streamId).toString('base64url')}.${seq}`;
function decode(eventId: EventId): { streamId: StreamId; seq: string } | undefined {
  const dot = eventId.lastIndexOf('.');
  if (dot <= 0 || eventId.length > 512) return undefined;
  return {
    streamId: Buffer.from(eventId.slice(0, dot), 'base64url').toString(),
    seq: eventId.slice(dot + 1),
  };
}

/** Events kept in memory across all sessions; past it, the stream written least recently goes first. */
export const MAX_MEMORY_EVENTS = 50_000;

interface MemoryStream {
  next: number;
  events: { seq: number; message: JSONRPCMessage }[];
}

export class MemoryEventStores implements SessionEventStores {
  /** By `<session id>\n<stream id>`, least recently written first. */
  readonly #streams = new Map<string, MemoryStream>();
  readonly #bySession = new Map<string, Set<string>>();
  readonly #perStream: number;
  readonly #maxEvents: number;
  #total = 0;

  constructor(limits: { perStream?: number; maxEvents?: number } = {}) {
    this.#perStream = limits.perStream ?? EVENTS_PER_STREAM;
    this.#maxEvents = limits.maxEvents ?? MAX_MEMORY_EVENTS;
  }

  /** Events held now, all sessions together. */
  get size(): number {
    return this.#total;
  }

  forSession(sessionId: string): EventStore {
    const keyOf = (streamId: StreamId) => `${sessionId}\n${streamId}`;
    return {
      storeEvent: async (streamId, message) => {
        const key = keyOf(streamId);
        const stream = this.#streams.get(key) ?? { next: 1, events: [] };
        this.#streams.delete(key); // re-inserted last: most recently written
        this.#streams.set(key, stream);
        const keys = this.#bySession.get(sessionId) ?? new Set<string>();
        this.#bySession.set(sessionId, keys.add(key));
        const seq = stream.next++;
        stream.events.push({ seq, message });
        this.#total++;
        if (stream.events.length > this.#perStream) {
          stream.events.shift();
          this.#total--;
        }
        this.#evict(key);
        return encode(streamId, String(seq));
      },
      getStreamIdForEventId: async (eventId) => decode(eventId)?.streamId,
      replayEventsAfter: async (lastEventId, { send }) => {
        const at = decode(lastEventId);
        const stream = at && this.#streams.get(keyOf(at.streamId));
        if (!at || !stream) return '';
        const after = Number(at.seq);
        for (const e of stream.events)
          if (e.seq > after) await send(encode(at.streamId, String(e.seq)), e.message);
        return at.streamId;
      },
    };
  }

  forget(sessionId: string): void {
    for (const key of this.#bySession.get(sessionId) ?? []) this.#drop(key);
    this.#bySession.delete(sessionId);
  }

  /** Drops the least recently written streams until the total fits (never the one just written). */
  #evict(keep: string): void {
    for (const key of this.#streams.keys()) {
      if (this.#total <= this.#maxEvents || key === keep) break;
      this.#drop(key);
      const session = key.slice(0, key.indexOf('\n'));
      const keys = this.#bySession.get(session);
      keys?.delete(key);
      if (keys?.size === 0) this.#bySession.delete(session);
    }
  }

  #drop(key: string): void {
    const stream = this.#streams.get(key);
    if (!stream) return;
    this.#total -= stream.events.length;
    this.#streams.delete(key);
  }
}

/** How long a session's streams are kept in Redis after their last message. */
const STREAM_TTL_MS = 60 * 60_000;

export class RedisEventStores implements SessionEventStores {
  constructor(private readonly link: RedisLink) {}

  #key(sessionId: string, streamId: StreamId): string {
    return `${this.link.prefix}events:${sessionId}:${Buffer.from(streamId).toString('base64url')}`;
  }

  forSession(sessionId: string): EventStore {
    const { link } = this;
    return {
      storeEvent: async (streamId, message) => {
        const key = this.#key(sessionId, streamId);
        try {
          const id = await link.command.xadd(
            key,
            'MAXLEN',
            '~',
            EVENTS_PER_STREAM,
            '*',
            'm',
            JSON.stringify(message),
          );
          void link.command.pexpire(key, STREAM_TTL_MS).catch(() => {});
          return encode(streamId, id ?? '0-0');
        } catch (err) {
          // Not resumable for this one message; the stream itself goes on. The id is "now" on the
          // Redis Stream id scale, so a resume from it replays what came after, not the whole stream.
          link.failed('event store', err);
          return encode(streamId, `${Date.now()}-0`);
        }
      },
      getStreamIdForEventId: async (eventId) => decode(eventId)?.streamId,
      replayEventsAfter: async (lastEventId, { send }) => {
        const at = decode(lastEventId);
        if (!at || !/^\d+-\d+$/.test(at.seq)) return '';
        let entries: [string, string[]][];
        try {
          entries = await link.command.xrange(this.#key(sessionId, at.streamId), `(${at.seq}`, '+');
        } catch (err) {
          link.failed('event store', err);
          return at.streamId;
        }
        for (const [id, fields] of entries) {
          const raw = fields[fields.indexOf('m') + 1];
          if (raw) await send(encode(at.streamId, id), JSON.parse(raw) as JSONRPCMessage);
        }
        return at.streamId;
      },
    };
  }

  /** Redis forgets on its own: each stream expires an hour after its last message. */
  forget(): void {}
}
