import { z } from 'zod';
import { AgentId, CallResult, ConversationId, E164, Id, MakeCallRequest } from '../voisa/index.js';
import {
  DEFAULT_WAIT_SECONDS,
  followCall,
  MAX_WAIT_SECONDS,
  placedCallsOf,
  type WaitResult,
} from './call-wait.js';
import { defineTool, READ_ONLY, WithContent } from './define.js';

export const makeCall = defineTool({
  name: 'make_call',
  title: 'Make phone call',
  toolset: 'calls',
  description: 'Ring a real phone number with an agent; never retried. Follow it with wait_for_call.',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: MakeCallRequest.shape,
  output: CallResult,
  confirm: ({ agent_id, phone_number }) =>
    `Let agent ${agent_id} place a real phone call to ${phone_number}?`,
  async run(args, ctx) {
    const started_at = Date.now();
    const result = await ctx.api.calls.make(args, ctx.req);
    // For wait_for_call from the call id alone, on any instance. The call is placed whatever happens
    // here: a store that cannot keep it reports that itself, and the wait then needs the hints.
    await placedCallsOf(ctx)
      .remember({
        call_id: result.call_id,
        agent_id: args.agent_id,
        phone_number: args.phone_number,
        started_at,
        ...(result.conversation_id ? { conversation_id: result.conversation_id } : {}),
      })
      .catch(() => {});
    return result;
  },
});

/** The published schema stays small: ids and the number are checked by the server, not by a pattern. */
const PhoneHint = z
  .string()
  .refine((s) => E164.safeParse(s).success, { message: 'must be an E.164 number such as +49123456789' });

const WaitOutcome = z.object({
  conversation_id: z.string().optional(),
  ended: z.boolean(),
  status: z.string(),
  success: z.boolean().optional(),
  duration: z.number().optional(),
  sentiment: z.string().optional(),
  summary: z.string().optional(),
  retry_after_seconds: z.number().optional(),
  next: z.string(),
}) satisfies z.ZodType<WaitResult>;

export const waitForCall = defineTool({
  name: 'wait_for_call',
  title: 'Wait for call',
  toolset: 'calls',
  description: 'Wait for a make_call call to end: its outcome, or ended=false: call again.',
  annotations: READ_ONLY,
  input: {
    call_id: Id.optional().describe('From make_call'),
    conversation_id: ConversationId.optional().describe('Or its conversation id'),
    agent_id: AgentId.optional().describe("Hint: the call's agent"),
    phone_number: PhoneHint.optional().describe('Hint: the number called'),
    wait_seconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe(`Default ${DEFAULT_WAIT_SECONDS}`),
  },
  output: WaitOutcome,
  untrusted: true,
  view: 'call',
  async run(args, ctx) {
    const { result, links } = await followCall(args, ctx);
    return links.length ? new WithContent(result, links) : result;
  },
});

export const callTools = [makeCall, waitForCall];
