import { z } from 'zod';
import { AgentId, CallResult, ConversationId, E164, Id, MakeCallRequest } from '../voisa/index.js';
import {
  DEFAULT_WAIT_SECONDS,
  followCall,
  MAX_WAIT_SECONDS,
  placedCallsOf,
  type WaitArgs,
  type WaitResult,
} from './call-wait.js';
import { defineTool, READ_ONLY, type ToolContext } from './define.js';
import { InputError } from './input.js';

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
  transcript_uri: z.string().optional(),
  recording_uri: z.string().optional(),
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
    if (ctx.callsOnly) return followOwnCall(args, ctx);
    return followCall(args, ctx);
  },
});

/**
 * `wait_for_call` for a grant that may place calls but not read the account (`voisa:calls` alone): it
 * follows only a call placed through this server with this key, found by its call id (hints and other
 * conversation ids are not taken), and tells the outcome (status, success, duration, sentiment) without
 * the content (summary, transcript and recording links), which needs `voisa:read`.
 */
async function followOwnCall(args: WaitArgs, ctx: ToolContext): Promise<WaitResult> {
  const why =
    'with the voisa:calls scope alone, wait_for_call follows only calls placed through this server with this account';
  if (!args.call_id) throw new InputError('call_id', `give the call_id make_call returned (${why})`);
  const placed = await placedCallsOf(ctx)
    .recall(args.call_id)
    .catch(() => {
      throw new InputError('call_id', `call ${args.call_id} cannot be looked up now; retry in a few seconds`);
    });
  if (!placed) throw new InputError('call_id', `call ${args.call_id} is unknown here: ${why}`);
  const result = await followCall({ call_id: args.call_id, wait_seconds: args.wait_seconds }, ctx);
  const { summary: _, transcript_uri: _t, recording_uri: _r, ...outcome } = result;
  return result.ended
    ? {
        ...outcome,
        next: 'The call is over. Its summary, transcript and recording need the voisa:read scope.',
      }
    : outcome;
}

export const callTools = [makeCall, waitForCall];
