import { z } from 'zod';

export const PERMISSIONS = ['read', 'write', 'delete'] as const;
export const Permission = z.enum(PERMISSIONS);
export type Permission = z.infer<typeof Permission>;

export const GetApiKeyRequest = z.object({
  email: z.email(),
  password: z.string().min(1),
});
export type GetApiKeyRequest = z.infer<typeof GetApiKeyRequest>;

export const ApiKeyInfo = z.looseObject({
  api_key: z.string(),
  expires_at: z.string().optional(),
  permissions: z.array(z.string()).optional(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export const VerifyResult = z.looseObject({
  valid: z.boolean(),
  account_id: z.string().optional(),
  permissions: z.array(z.string()).optional(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;
