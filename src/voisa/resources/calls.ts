import type { HttpTransport } from '../http.js';
import { CallResult, type MakeCallRequest } from '../schemas/index.js';
import type { RequestOptions } from '../types.js';

export function callsApi(http: HttpTransport) {
  return {
    /**
     * POST /api/make-call. Rings a phone, so it is re-sent only when the API certainly
     * did not act (429, or a connection refused before sending); never after a 5xx or timeout.
     */
    make: (b: MakeCallRequest, o?: RequestOptions): Promise<CallResult> =>
      http.json({ method: 'POST', path: '/api/make-call', json: b }, CallResult, o),
  };
}
export type CallsApi = ReturnType<typeof callsApi>;
