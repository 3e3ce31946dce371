import { ConfigureWebhookRequest, Webhook } from '../voisa/index.js';
import type { WebhookTarget } from './define.js';
import { defineTool } from './define.js';
import { InputError } from './input.js';

/**
 * Where the webhook goes. Hosted over HTTP, this server has a receiver of the caller's own (`webhook`):
 * no url, or any of this server's webhook URLs, means that one, with its own secret (a secret given
 * alongside is not used: only the derived one attributes the deliveries to this caller). Any other url
 * is sent as given: its events go there, and this server sees none of them.
 */
export function webhookRequest(
  args: { url?: string; events: ConfigureWebhookRequest['events']; secret?: string },
  webhook: WebhookTarget | undefined,
): ConfigureWebhookRequest {
  const { url, events, secret } = args;
  if (webhook && (url === undefined || webhook.isOurs(url)))
    return { url: webhook.url, events, secret: webhook.secret };
  if (url === undefined)
    throw new InputError(
      'url',
      'required here: this server receives no webhooks for you; give the https endpoint that should receive the events',
    );
  return { url, events, ...(secret === undefined ? {} : { secret }) };
}

export const configureWebhook = defineTool({
  name: 'configure_webhook',
  title: 'Configure webhook',
  toolset: 'webhooks',
  description: 'Have VOISA POST the chosen events to a URL, signed with the secret.',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  input: {
    ...ConfigureWebhookRequest.shape,
    url: ConfigureWebhookRequest.shape.url.optional().describe('https endpoint; omit to get events here'),
  },
  output: Webhook,
  run: (args, { api, req, webhook }) => api.webhooks.configure(webhookRequest(args, webhook), req),
});

export const webhookTools = [configureWebhook];
