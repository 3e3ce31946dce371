import { GetApiKeyRequest } from '../../voisa/schemas/index.js';
import { jsonBody, type Route } from '../context.js';
import { ApiFailure } from '../errors.js';
import { keyExpiry } from '../seed.js';
import { validate } from '../validate.js';

export const authRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/api/get-api-key',
    permission: null,
    handler(ctx) {
      const b = validate(GetApiKeyRequest, jsonBody(ctx));
      const account = ctx.env.accounts.signIn(b.email, b.password);
      if (!account) {
        // The reference defines no credentials error; a 401 with the documented
        // INVALID_API_KEY code is the closest without inventing a new code.
        throw new ApiFailure(401, 'INVALID_API_KEY', 'email or password is wrong');
      }
      // The account's key; once it was revoked (rotated), a new one.
      const key = ctx.env.accounts.keyFor(account.id, keyExpiry());
      return { data: { api_key: key.key, expires_at: key.expiresAt, permissions: [...key.permissions] } };
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
