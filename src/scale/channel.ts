/**
 * Fan-out between instances over Redis pub/sub: the `subscriptions/listen` event bus and the webhook
 * events. A message published on any instance reaches every instance (the publisher included) once;
 * while Redis is away, a publisher delivers to its own listeners directly, so streams on that instance
 * keep working.
 */
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';
import type { VoisaEvent } from '../events/hub.js';
import type { RedisLink } from './redis.js';

type Listener<T> = (value: T) => void;

export class RedisChannel<T> {
  readonly #listeners = new Set<Listener<T>>();
  readonly #name: string;

  constructor(
    private readonly link: RedisLink,
    name: string,
  ) {
    this.#name = `${link.prefix}${name}`;
    link.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#name) return;
      let value: T;
      try {
        value = JSON.parse(message) as T;
      } catch {
        return; // not ours: someone else published on our channel
      }
      this.deliver(value);
    });
    link.subscriber.subscribe(this.#name).catch((err) => link.failed(`subscribe ${name}`, err));
  }

  /** True when Redis took it (every instance will deliver it); false when only this instance did. */
  async publish(value: T): Promise<boolean> {
    try {
      await this.link.command.publish(this.#name, JSON.stringify(value));
      return true;
    } catch (err) {
      this.link.failed(`publish ${this.#name}`, err);
      this.deliver(value);
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
  deliver(value: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(value);
      } catch {
        // a stream that went away mid-delivery
      }
    }
  }
}

/** The `ServerEventBus` of `createMcpHandler`, shared by every instance. */
export class RedisServerEventBus implements ServerEventBus {
  constructor(private readonly channel: RedisChannel<ServerEvent>) {}

  publish(event: ServerEvent): void {
    void this.channel.publish(event);
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    return this.channel.subscribe(listener);
  }
}

/** Where accepted webhook events go: every instance's hub, once. */
export interface EventFanOut {
  publish(event: VoisaEvent): void;
  /** Delivers what any instance published to this listener (the local hub). */
  subscribe(listener: (event: VoisaEvent) => void): () => void;
}

export function redisEventFanOut(channel: RedisChannel<VoisaEvent>): EventFanOut {
  return {
    publish: (event) => void channel.publish(event),
    subscribe: (listener) => channel.subscribe(listener),
  };
}
