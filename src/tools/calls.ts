import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AgentId, ApiError, CallResult, ConversationId, E164, Id, MakeCallRequest } from '../voisa/index.js';
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
  description: 'Ring a real phone with an agent within voisa://policy; never retried. Then wait_for_call.',
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  input: MakeCallRequest.shape,
  output: CallResult,
  confirm: ({ agent_id, phone_number }) =>
    `Let agent ${agent_id} place a real phone call to ${phone_number}?`,
  async run(args, ctx) {
    if (ctx.calling?.policy.dryRun) return dryRun(args, ctx);
    // The policy again, and a budget slot taken atomically: another instance may have taken the last
    // one since the check made before the confirmation.
    const ticket = await ctx.calling?.take(args.phone_number);
    const started_at = Date.now();
    let result: CallResult;
    try {
      result = await ctx.api.calls.make(args, ctx.req);
    } catch (err) {
      // VOISA refused the request (4xx): nothing was placed. A timeout, a lost connection or a 5xx (a
      // gateway's too) may have placed the call, so its slot stays taken, in progress for a short lease.
      if (err instanceof ApiError && err.status < 500) await ticket?.refund().catch(() => {});
      throw err;
    }
    await ticket?.placed(result.call_id).catch(() => {});
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

/**
 * Whether the conversation that ended is the call placed under `call_id`: the server remembers it, the
 * hints given agree with it, and so does its conversation id (given, or found for it).
 */
async function isPlacedCall(args: WaitArgs, result: WaitResult, ctx: ToolContext): Promise<boolean> {
  const placed = await placedCallsOf(ctx)
    .recall(args.call_id ?? '')
    .catch(() => undefined);
  if (!placed) return false;
  if (args.agent_id !== undefined && args.agent_id !== placed.agent_id) return false;
  if (args.phone_number !== undefined && args.phone_number !== placed.phone_number) return false;
  // A conversation id given for a call whose own is not known yet cannot be checked: the lease frees it.
  return placed.conversation_id !== undefined
    ? placed.conversation_id === result.conversation_id
    : args.conversation_id === undefined;
}

/** Dry-run call ids: `wait_for_call` knows them by this prefix. */
const DRY_RUN_PREFIX = 'dryrun_';

/**
 * `--dry-run-calls`: the agent must exist and the policy allow the call (checked before this, like any
 * make_call); then the answer says what would have happened. Nothing is sent to make-call.
 */
async function dryRun(args: MakeCallRequest, ctx: ToolContext): Promise<CallResult> {
  const agent = await ctx.api.agents.get(args.agent_id, ctx.req);
  return {
    call_id: `${DRY_RUN_PREFIX}${randomBytes(9).toString('base64url')}`,
    status: 'dry_run',
    dry_run: true,
    would: `${agent.name ?? args.agent_id} would ring ${args.phone_number}; the policy allows it now. Nothing was placed (--dry-run-calls).`,
  };
}

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
  description: 'Wait for a placed call to end: its outcome, or ended=false: call again.',
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
    if (args.call_id?.startsWith(DRY_RUN_PREFIX)) {
      const server = ctx.calling?.policy.dryRun
        ? 'the server runs with --dry-run-calls'
        : 'from a server running with --dry-run-calls';
      return {
        ended: true,
        status: 'dry_run',
        next: `This was a dry run (${server}): no call was placed, so there is nothing to wait for.`,
      };
    }
    const result = ctx.callsOnly ? await followOwnCall(args, ctx) : await followCall(args, ctx);
    // Its in-progress slot is free as soon as anyone sees the call end: the call make_call placed under
    // this id, by what the server recorded, not another conversation the caller named with it.
    if (result.ended && args.call_id && (await isPlacedCall(args, result, ctx)))
      await ctx.calling?.ended(args.call_id);
    return result;
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

/**
 * Which of these held calls have ended, asked of VOISA as one look of wait_for_call each (no waiting):
 * for the policy's in-progress limit, when a call was never followed to its end.
 */
export async function endedCalls(callIds: string[], ctx: ToolContext): Promise<string[]> {
  const quiet: ToolContext = { ...ctx, progress: () => {} };
  const looks = await Promise.all(
    callIds.map((call_id) =>
      followCall({ call_id, wait_seconds: 0 }, quiet).then(
        (r) => (r.ended ? call_id : undefined),
        () => undefined,
      ),
    ),
  );
  return looks.filter((id): id is string => id !== undefined);
}

export const callTools = [makeCall, waitForCall];
