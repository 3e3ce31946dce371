import { z } from 'zod';
import { Id } from './common.js';

export const E164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, { message: 'must be an E.164 number such as +49123456789' });

export const MakeCallRequest = z.object({
  agent_id: Id.describe('Agent that will place the call'),
  phone_number: E164.describe('E.164 number to ring, e.g. +49123456789'),
});
export type MakeCallRequest = z.infer<typeof MakeCallRequest>;

/** `conversation_id` is not in the reference; the sandbox adds it so a call can be followed. */
export const CallResult = z.looseObject({
  call_id: z.string(),
  status: z.string(),
  conversation_id: z.string().optional(),
});
export type CallResult = z.infer<typeof CallResult>;
