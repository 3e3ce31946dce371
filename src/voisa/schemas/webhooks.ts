import { z } from 'zod';
import { HttpUrl } from './common.js';

export const WEBHOOK_EVENTS = [
  'conversation.started',
  'conversation.ended',
  'conversation.failed',
  'agent.created',
  'agent.updated',
  'tool.executed',
  'tool.failed',
] as const;
export const WebhookEventName = z.enum(WEBHOOK_EVENTS);
export type WebhookEventName = z.infer<typeof WebhookEventName>;

export const ConfigureWebhookRequest = z.object({
  url: HttpUrl.describe('https endpoint that receives events'),
  events: z.array(WebhookEventName.describe('Event name')).min(1).describe('Events to send'),
  secret: z.string().min(8).max(200).optional().describe('HMAC-SHA256 signing secret, 8+ chars'),
});
export type ConfigureWebhookRequest = z.infer<typeof ConfigureWebhookRequest>;

/** Not documented: the sandbox answers with the stored webhook (never its secret). */
export const Webhook = z.looseObject({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  created_at: z.string().optional(),
});
export type Webhook = z.infer<typeof Webhook>;

/** What VOISA POSTs to a webhook URL. `id` is not in the reference; the sandbox adds it for replay detection. */
export const WebhookPayload = z.looseObject({
  id: z.string().optional(),
  event: z.string(),
  timestamp: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** Header carrying `sha256=<hex HMAC-SHA256 of the raw body, keyed with the webhook secret>`. */
export const SIGNATURE_HEADER = 'x-voisa-signature';
/** Header carrying the event id (also in the body), for replay detection. */
export const EVENT_ID_HEADER = 'x-voisa-event-id';
