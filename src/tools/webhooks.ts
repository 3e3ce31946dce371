import { ConfigureWebhookRequest, Webhook } from '../voisa/index.js';
import { defineTool } from './define.js';

export const configureWebhook = defineTool({
  name: 'configure_webhook',
  title: 'Configure webhook',
  toolset: 'webhooks',
  description: 'Have VOISA POST the chosen events to a URL, signed with the secret.',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  input: ConfigureWebhookRequest.shape,
  output: Webhook,
  run: (args, { api, req }) => api.webhooks.configure(args, req),
});

export const webhookTools = [configureWebhook];
