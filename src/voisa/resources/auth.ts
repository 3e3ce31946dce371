import type { HttpTransport } from '../http.js';
import { ApiKeyInfo, type GetApiKeyRequest, VerifyResult } from '../schemas/index.js';
import type { RequestOptions } from '../types.js';

export function authApi(http: HttpTransport) {
  return {
    /** POST /api/get-api-key: email + password; sent without the configured key. */
    getApiKey: (b: GetApiKeyRequest, o?: RequestOptions): Promise<ApiKeyInfo> =>
      http.json({ method: 'POST', path: '/api/get-api-key', json: b, authenticate: false }, ApiKeyInfo, o),
    /** GET /api/verify */
    verify: (o?: RequestOptions): Promise<VerifyResult> =>
      http.json({ method: 'GET', path: '/api/verify' }, VerifyResult, o),
  };
}
export type AuthApi = ReturnType<typeof authApi>;
