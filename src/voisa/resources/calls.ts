import type { HttpTransport } from '../http.js';
import { CallResult, type MakeCallRequest } from '../schemas/index.js';
import type { RequestOptions } from '../types.js';

export function callsApi(http: HttpTransport) {
  return {
    /**
     * POST /api/make-call. Rings a phone, so it is re-sent only when the request certainly
     * never left this machine (the connection failed to open); never after any answer
     * (429 and 5xx included) or a timeout.
     */
    make: (b: MakeCallRequest, o?: RequestOptions): Promise<CallResult> =>
      http.json({ method: 'POST', path: '/api/make-call', json: b }, CallResult, o),
  };
}
export type CallsApi = ReturnType<typeof callsApi>;
