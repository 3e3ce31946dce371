import { GetApiKeyRequest } from '../../voisa/schemas/index.js';
import { jsonBody, type Route } from '../context.js';
import { ApiFailure } from '../errors.js';
import { DEMO_ACCOUNT, DEMO_KEY } from '../seed.js';
import { validate } from '../validate.js';

export const authRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/api/get-api-key',
    permission: null,
    handler(ctx) {
      const b = validate(GetApiKeyRequest, jsonBody(ctx));
      if (b.email.toLowerCase() !== DEMO_ACCOUNT.email || b.password !== DEMO_ACCOUNT.password) {
        // The reference defines no credentials error; a 401 with the documented
        // INVALID_API_KEY code is the closest without inventing a new code.
        throw new ApiFailure(401, 'INVALID_API_KEY', 'email or password is wrong');
      }
      const key = ctx.env.store.keys.get(DEMO_KEY);
      return {
        data: { api_key: DEMO_KEY, expires_at: key?.expiresAt, permissions: key?.permissions ?? [] },
      };
    },
  },
  {
    method: 'GET',
    pattern: '/api/verify',
    permission: 'read',
    handler(ctx) {
      return {
        data: {
          valid: true,
          account_id: ctx.key?.accountId,
          permissions: ctx.key?.permissions ?? [],
          expires_at: ctx.key?.expiresAt,
        },
      };
    },
  },
];
