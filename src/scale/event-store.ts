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

export class MemoryEventStores implements SessionEventStores {
  readonly #sessions = new Map<
    string,
    Map<StreamId, { next: number; events: { seq: number; message: JSONRPCMessage }[] }>
  >();

  constructor(private readonly maxSessions = 10_000) {}

  forSession(sessionId: string): EventStore {
    const streams = () => {
      let s = this.#sessions.get(sessionId);
      if (!s) {
        if (this.#sessions.size >= this.maxSessions)
          this.#sessions.delete(this.#sessions.keys().next().value as string);
        s = new Map();
        this.#sessions.set(sessionId, s);
      }
      return s;
    };
    return {
      storeEvent: async (streamId, message) => {
        const all = streams();
        let stream = all.get(streamId);
        if (!stream) {
          stream = { next: 1, events: [] };
          all.set(streamId, stream);
        }
        const seq = stream.next++;
        stream.events.push({ seq, message });
        if (stream.events.length > EVENTS_PER_STREAM) stream.events.shift();
        return encode(streamId, String(seq));
      },
      getStreamIdForEventId: async (eventId) => decode(eventId)?.streamId,
      replayEventsAfter: async (lastEventId, { send }) => {
        const at = decode(lastEventId);
        const stream = at && this.#sessions.get(sessionId)?.get(at.streamId);
        if (!at || !stream) return '';
        const after = Number(at.seq);
        for (const e of stream.events)
          if (e.seq > after) await send(encode(at.streamId, String(e.seq)), e.message);
        return at.streamId;
      },
    };
  }

  forget(sessionId: string): void {
    this.#sessions.delete(sessionId);
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
          // Not resumable for this one message; the stream itself goes on.
          link.failed('event store', err);
          return encode(streamId, '0-0');
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
