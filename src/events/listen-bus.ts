/**
 * Per-principal delivery on the 2026-07-28 `subscriptions/listen` streams.
 *
 * The SDK's serving entry (`createMcpHandler`) keeps one listen router per handler, and every open
 * listen stream subscribes to the handler's one `ServerEventBus` with no word of who opened it: any
 * event published there reaches every stream. So each event published on the shared bus carries its
 * owner (a principal's opaque id, never a key), and the handler is given a face of that bus whose
 * `subscribe` asks `streamOwner()` who is subscribing and passes on only that owner's events, the
 * owner stripped. Each listen stream is served by a handler of its own, made for its owner
 * (http/routes/mcp-modern.ts), so `streamOwner()` is that owner; the shared handler of every other
 * request names none. A stream whose owner cannot be told gets nothing: fail closed.
 */
import type { ServerEvent, ServerEventBus } from '@modelcontextprotocol/server';

/** What travels on the shared bus: the SDK's event and the opaque id of the principal it belongs to. */
export type OwnedServerEvent = ServerEvent & { owner: string };

/** Publishes one principal's change event on the shared bus. */
export function publishOwned(bus: ServerEventBus, owner: string, event: ServerEvent): void {
  bus.publish({ ...event, owner } as OwnedServerEvent);
}

/** The face of `bus` a handler's listen streams subscribe to: each gets its own principal's events only. */
export function listenBusFor(bus: ServerEventBus, streamOwner: () => string | undefined): ServerEventBus {
  return {
    // Nothing here publishes without an owner; such an event (the handler's `notify` sugar) reaches no stream.
    publish: (event) => bus.publish(event),
    subscribe(listener) {
      const owner = streamOwner();
      if (owner === undefined) return () => {};
      return bus.subscribe((published) => {
        const { owner: of, ...event } = published as Partial<OwnedServerEvent> & ServerEvent;
        if (of === owner) listener(event as ServerEvent);
      });
    },
  };
}
