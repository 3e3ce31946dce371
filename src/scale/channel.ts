/**
 * Fan-out between instances over Redis pub/sub: the `subscriptions/listen` event bus and the webhook
 * events. A message published on any instance reaches every instance (the publisher included) once;
 * while Redis is away, a publisher delivers to its own listeners directly, so streams on that instance
 * keep working.
 */
import { randomUUID } from 'node:crypto';
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import type { VoisaEvent } from '../events/hub.js';
import type { RedisLink } from './redis.js';

/** What a listener is given: the value, and the instance that published it. */
type Listener<T> = (value: T, from: string) => void;

/** What travels on the channel. */
interface Envelope<T> {
  from: string;
  value: T;
}

/** This process's name on every channel, unless the caller names it. */
const PROCESS_INSTANCE = randomUUID();

export interface RedisChannelOptions {
  /** Carried by every message this instance publishes (default: a random id per process). */
  instanceId?: string;
}

export class RedisChannel<T> {
  readonly #listeners = new Set<Listener<T>>();
  readonly #name: string;
  readonly #from: string;
  #dropped = 0;

  constructor(
    private readonly link: RedisLink,
    name: string,
    opts: RedisChannelOptions = {},
  ) {
    this.#name = `${link.prefix}${name}`;
    this.#from = opts.instanceId ?? PROCESS_INSTANCE;
    link.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#name) return;
      const envelope = parse<T>(message);
      if (!envelope) {
        // Someone else publishes on our channel; said once, then every 100th time, not per message.
        if (this.#dropped++ % 100 === 0)
          link.log(
            'warning',
            `dropped ${this.#dropped} unreadable message(s) on Redis channel ${this.#name}`,
          );
        return;
      }
      this.deliver(envelope.value, envelope.from);
    });
    link.listen(this.#name);
  }

  /** The instance id this channel puts on what it publishes. */
  get instanceId(): string {
    return this.#from;
  }

  /** True when Redis took it (every instance will deliver it); false when only this instance did. */
  async publish(value: T): Promise<boolean> {
    const message = JSON.stringify({ from: this.#from, value } satisfies Envelope<T>);
    // With the subscriber connection away, the message would not come back here: deliver it now.
    const listening = this.link.subscriber.status === 'ready';
    try {
      await this.link.command.publish(this.#name, message);
      if (!listening) this.deliver(value, this.#from);
      return true;
    } catch (err) {
      this.link.failed(`publish ${this.#name}`, err);
      this.deliver(value, this.#from);
      return false;
    }
  }

  subscribe(listener: Listener<T>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Local delivery; a throwing listener does not stop the others. */
  deliver(value: T, from: string = this.#from): void {
    for (const listener of this.#listeners) {
      try {
        listener(value, from);
      } catch {
        // a stream that went away mid-delivery
      }
    }
  }
}

function parse<T>(message: string): Envelope<T> | undefined {
  try {
    const e = JSON.parse(message) as Partial<Envelope<T>> | null;
    if (e && typeof e === 'object' && typeof e.from === 'string' && 'value' in e) return e as Envelope<T>;
  } catch {
    // not JSON
  }
  return undefined;
}

/** The `ServerEventBus` of `createMcpHandler`, shared by every instance. */
export class RedisServerEventBus implements ServerEventBus {
  constructor(private readonly channel: RedisChannel<ServerEvent>) {}

  publish(event: ServerEvent): void {
    void this.channel.publish(event);
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    return this.channel.subscribe((event) => listener(event));
  }
}

/** Where accepted webhook events go, each with its owner: every instance's hub, once. */
export interface EventFanOut {
  publish(event: VoisaEvent, owner: string): void;
  /** Delivers what any instance published to this listener (the local hub). */
  subscribe(listener: (event: VoisaEvent, owner: string) => void): () => void;
}

/** What travels on the events channel: the event and the opaque id of the principal it belongs to. */
export interface OwnedEvent {
  owner: string;
  event: VoisaEvent;
}

export function redisEventFanOut(channel: RedisChannel<OwnedEvent>): EventFanOut {
  return {
    publish: (event, owner) => void channel.publish({ owner, event }),
    subscribe: (listener) =>
      channel.subscribe((m) => {
        // An event without an owner reaches nobody.
        if (typeof m?.owner === 'string' && m.event) listener(m.event, m.owner);
      }),
  };
}
