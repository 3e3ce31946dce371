import type { HttpTransport } from '../http.js';
import { type ConfigureWebhookRequest, Webhook } from '../schemas/index.js';
import type { RequestOptions } from '../types.js';

export function webhooksApi(http: HttpTransport) {
  return {
    /** POST /api/webhooks */
    configure: (b: ConfigureWebhookRequest, o?: RequestOptions): Promise<Webhook> =>
      http.json({ method: 'POST', path: '/api/webhooks', json: b }, Webhook, o),
  };
}
export type WebhooksApi = ReturnType<typeof webhooksApi>;
