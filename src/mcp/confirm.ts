/**
 * Asking the user before `make_call` and the deletes, on both protocol generations.
 *
 * The question is a multi round-trip `input_required` result: a 2026-07-28 client answers it and
 * retries the call; on a 2025-era connection the SDK's legacy shim turns it into a real
 * `elicitation/create` request and re-enters the handler with the answer. Either way the retry
 * carries our `requestState`, sealed (AES-256-GCM) and bound to the tool, its arguments and the
 * caller's VOISA key, with an expiry: a state minted for one call cannot approve another.
 *
 * Each state is single-use: it seals a random nonce, and the retry that acts on it (goes ahead, or
 * records a decline) claims the nonce first (`SingleUse`: Redis `SET NX` when instances share state,
 * else this process). The same confirmed retry sent twice, at once, or to two instances places one
 * call; the others get CONFIRMATION_USED. When the claim cannot be checked, nothing goes ahead.
 *
 * A client that declares no elicitation capability cannot be asked. By default (`--confirm auto`)
 * the call then goes ahead (the tool's destructive hint is the warning, and the clients that honour
 * it confirm themselves); `--confirm always` (alias `--require-confirmation`) refuses it instead, and
 * `--confirm never` asks no one at all (unattended automation, e.g. Claude Code `-p`, whose client
 * declares elicitation and cancels every question).
 *
 * The user's `accept` is a yes unless its content says `confirm: false` (a form may send `{}`);
 * `decline` and `cancel` are no.
 */

import { randomBytes } from 'node:crypto';
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { RequestStateRejected, type StateSealer } from '../security/request-state.js';
import { MemorySingleUse, type SingleUse } from '../security/single-use.js';

/**
 * When to ask: `auto` when the client can (else run on the destructive hint), `always` (refuse when
 * it cannot), `never` (run without asking).
 */
export type ConfirmMode = 'auto' | 'always' | 'never';
export const CONFIRM_MODES: readonly ConfirmMode[] = ['auto', 'always', 'never'];

/** The operator's start-up warning for `--confirm never`. */
export const CONFIRMATIONS_OFF =
  'confirmations are off (--confirm never): make_call and deletes run without asking';

export interface ConfirmOptions {
  sealer: StateSealer;
  /** The caller's VOISA key, bound into the state; never written anywhere in clear. */
  principal?: string;
  /** When to ask (default `auto`). */
  mode?: ConfirmMode;
  /** Where each state's nonce is claimed once; by default this process's memory. */
  once?: SingleUse;
}

export type Confirmation = { kind: 'go' } | { kind: 'answer'; result: CallToolResult | InputRequiredResult };

interface AskedState {
  /** When the question was put, for the operator's logs; the binding lives in the seal. */
  askedAt: number;
  /** Claimed once by the retry that acts on this state. */
  nonce: string;
}

const CONFIRM_KEY = 'confirm';
const CONFIRM_SCHEMA = {
  type: 'object' as const,
  // Ticked from the start, and not required: a form that sends `{}` on Accept still means yes.
  properties: {
    confirm: {
      type: 'boolean' as const,
      title: 'Go ahead',
      description: 'Confirm this action',
      default: true,
    },
  },
};

/** The capabilities a 2026-07-28 request declares in its `_meta` envelope; undefined on 2025-era requests. */
export function requestCapabilities(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, ClientCapabilities | undefined> | undefined;
  return envelope?.[CLIENT_CAPABILITIES_META_KEY];
}

/**
 * Whether the client behind this request declares a capability (`elicitation`, `sampling`): per request
 * on 2026-07-28, else the session's from `initialize`.
 */
export function clientCan(
  ctx: ServerContext,
  sessionCapabilities: ClientCapabilities | undefined,
  capability: 'elicitation' | 'sampling',
): boolean {
  return Boolean((requestCapabilities(ctx) ?? sessionCapabilities)?.[capability]);
}

export async function confirmCall(
  tool: string,
  args: Record<string, unknown>,
  question: string,
  ctx: ServerContext,
  canAsk: boolean,
  opts: ConfirmOptions,
): Promise<Confirmation> {
  if (opts.mode === 'never') return { kind: 'go' };
  const bind = { tool, args, principal: opts.principal };
  // A fresh nonce for every question: a state asked again is another state, claimed on its own.
  const askAnew = () =>
    ask(question, opts.sealer.seal<AskedState>({ askedAt: Date.now(), nonce: newNonce() }, bind));
  const echoed = ctx.mcpReq.requestState();
  if (echoed === undefined) {
    if (!canAsk) {
      if (opts.mode !== 'always') return { kind: 'go' };
      return answer(
        `CONFIRMATION_REQUIRED: ${tool} needs the user's confirmation, and this client cannot ask (it declares no elicitation capability). ` +
          'The server runs with --confirm always, so nothing was sent to VOISA. Use a client that supports elicitation, or ask the operator.',
      );
    }
    return askAnew();
  }
  let state: { payload: AskedState; expiresAt: number };
  try {
    state = opts.sealer.opened<AskedState>(echoed, bind);
    if (typeof state.payload?.nonce !== 'string') throw new RequestStateRejected('malformed');
  } catch (err) {
    if (err instanceof RequestStateRejected) {
      return answer(
        `CONFIRMATION_INVALID (${err.reason}): the confirmation sent back does not match this ${tool} call. ` +
          `Call ${tool} again without requestState to be asked anew; nothing was sent to VOISA.`,
      );
    }
    throw err;
  }
  const reply = inputResponse(ctx.mcpReq.inputResponses, CONFIRM_KEY);
  if (reply.kind === 'missing') return askAnew();
  const content = reply.kind === 'elicit' ? (reply.content as { confirm?: unknown } | undefined) : undefined;
  // Accept is a yes unless the form says otherwise; decline and cancel are no.
  const yes = reply.kind === 'elicit' && reply.action === 'accept' && content?.confirm !== false;
  const claim = await (opts.once ?? processClaims()).claim(state.payload.nonce, state.expiresAt - Date.now());
  if (claim === 'used')
    return answer(
      `CONFIRMATION_USED: this confirmation was already used (one confirmation approves one ${tool} call). ` +
        `Call ${tool} again without requestState to be asked anew; nothing was sent to VOISA.`,
    );
  // A decline sends nothing whether or not its claim could be recorded.
  if (!yes) return answer(`DECLINED: the user did not confirm ${tool}; nothing was sent to VOISA.`);
  if (claim === 'unavailable')
    return answer(
      `CONFIRMATION_UNAVAILABLE: this server cannot check now that the confirmation is used only once (the store shared between instances is unreachable or full), so nothing was sent to VOISA. ` +
        `Retry in a few seconds: call ${tool} again.`,
    );
  return { kind: 'go' };
}

function ask(question: string, requestState: string): Confirmation {
  return {
    kind: 'answer',
    result: inputRequired({
      inputRequests: {
        [CONFIRM_KEY]: inputRequired.elicit({ message: question, requestedSchema: CONFIRM_SCHEMA }),
      },
      requestState,
    }),
  };
}

function answer(text: string): Confirmation {
  return { kind: 'answer', result: { content: [{ type: 'text', text }], isError: true } };
}

function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

let defaultClaims: SingleUse | undefined;
/** Claims for confirm options without a store of their own (tests, embedding): this process's. */
function processClaims(): SingleUse {
  defaultClaims ??= new MemorySingleUse();
  return defaultClaims;
}
