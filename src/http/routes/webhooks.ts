/**
 * VOISA webhooks: `POST /webhooks/voisa`, the shared URL (the server's own key's events), and
 * `POST /webhooks/voisa/t/<id>`, one per principal (tenants.ts). On when a webhook secret or base URL is set.
 */
import type { ServerEventBus } from '@modelcontextprotocol/server';
import type { Hono } from 'hono';
import { changesResourceList, urisChangedBy, type VoisaEvent } from '../../events/hub.js';
import { publishOwned } from '../../events/listen-bus.js';
import { WebhookReceiver, type WebhookSender } from '../../events/webhooks.js';
import type { LogFn } from '../../mcp/log.js';
import type { EventFanOut } from '../../scale/channel.js';
import type { SharedState } from '../../scale/index.js';
import { RefusalTally } from '../../web/auth.js';
import type { HttpEnv } from '../../web/env.js';
import { json, readBody } from '../../web/responses.js';
import { type Tenants, WEBHOOK_PATH } from '../tenants.js';
import type { Ctx } from './context.js';

const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface WebhookDeps {
  /** The receivers are on (VOISA_WEBHOOK_SECRET or --webhook-base-url). */
  receiving: boolean;
  /** VOISA_WEBHOOK_SECRET: signs the shared URL's deliveries. */
  sharedSecret?: string;
  /** The server's own key's principal id, the owner of the shared URL's events; none without that key. */
  serverOwner?: string;
  tenants: Pick<Tenants, 'isId' | 'secretOf'>;
  /** Every instance's hub (2025-era sessions, voisa://events). */
  fanOut: Pick<EventFanOut, 'publish'>;
  /** The listen bus (2026-07-28 streams on any instance). */
  bus: ServerEventBus;
  ledger: SharedState['ledger'];
  log: LogFn;
}

export interface Webhooks {
  /** Logs the unsigned deliveries counted since the last flush (`final`: whatever is left, on close). */
  flush(final?: boolean): void;
}

export function mountWebhooks(app: Hono<HttpEnv>, d: WebhookDeps): Webhooks {
  const { log } = d;
  const unsigned = new RefusalTally((line) => log('warning', line), {
    one: 'webhook delivery with a missing or invalid signature',
    many: 'webhook deliveries with a missing or invalid signature',
  });
  // An accepted webhook goes once to every instance's hub (2025-era sessions, voisa://events) and once
  // onto the listen bus (2026-07-28 streams on any instance).
  // Each goes with its owner, and reaches that principal only.
  const accepted = (event: VoisaEvent, owner: string) => {
    d.fanOut.publish(event, owner);
    for (const uri of urisChangedBy(event)) publishOwned(d.bus, owner, { kind: 'resource_updated', uri });
    if (changesResourceList(event)) publishOwned(d.bus, owner, { kind: 'resources_list_changed' });
  };
  const receiver = d.receiving
    ? new WebhookReceiver({ hub: { publish: accepted }, ledger: d.ledger })
    : undefined;
  // The shared URL's events are the server's own key's; without that key they would be nobody's.
  const sharedSender =
    d.sharedSecret !== undefined && d.serverOwner !== undefined
      ? { owner: d.serverOwner, secret: d.sharedSecret }
      : undefined;

  app.post(WEBHOOK_PATH, (c) =>
    receive(
      c,
      sharedSender,
      "this URL receives only the events of the server's own key (VOISA_API_KEY with VOISA_WEBHOOK_SECRET); configure_webhook registers a URL of your own",
    ),
  );
  app.post(`${WEBHOOK_PATH}/t/:tenant`, (c) => {
    const id = c.req.param('tenant');
    return receive(
      c,
      d.tenants.isId(id) ? { owner: id, secret: d.tenants.secretOf(id) } : undefined,
      'unknown webhook URL; configure_webhook registers yours',
    );
  });

  async function receive(c: Ctx, sender: WebhookSender | undefined, unknown: string) {
    if (!receiver)
      return json(404, {
        ok: false,
        error: 'webhook receiver disabled: set VOISA_WEBHOOK_SECRET or --webhook-base-url',
      });
    if (!sender) return json(404, { ok: false, error: unknown });
    const body = await readBody(c.req.raw, WEBHOOK_BODY_LIMIT);
    if (!body.ok) return json(413, { ok: false, error: 'payload too large' });
    const outcome = await receiver.receive(body.bytes, (name) => c.req.header(name), sender);
    // Anyone can send unsigned junk: counted, not logged one line each.
    if (outcome.status === 401) unsigned.add(c.get('clientAddress'), false);
    else
      log(
        outcome.status === 200 ? 'debug' : 'warning',
        `webhook ${outcome.body.id ?? ''} ${outcome.status}`,
        {
          ...(outcome.body.error ? { error: outcome.body.error } : {}),
        },
      );
    return json(outcome.status, outcome.body, outcome.headers);
  }

  return { flush: (final = false) => unsigned.flush(Date.now(), final) };
}
