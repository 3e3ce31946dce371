/**
 * Asking the user before `make_call` and the deletes, on both protocol generations.
 *
 * The question is a multi round-trip `input_required` result: a 2026-07-28 client answers it and
 * retries the call; on a 2025-era connection the SDK's legacy shim turns it into a real
 * `elicitation/create` request and re-enters the handler with the answer. Either way the retry
 * carries our `requestState`, sealed (AES-256-GCM) and bound to the tool, its arguments and the
 * caller's VOISA key, with an expiry: a state minted for one call cannot approve another.
 *
 * A client that declares no elicitation capability cannot be asked. By default the call then goes
 * ahead (the tool's destructive hint is the warning, and the clients that honour it confirm
 * themselves); `--require-confirmation` refuses it instead.
 */
import {
  type CallToolResult,
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type InputRequiredResult,
  inputRequired,
  inputResponse,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { RequestStateRejected, type StateSealer } from './security/request-state.js';

export interface ConfirmOptions {
  sealer: StateSealer;
  /** The caller's VOISA key, bound into the state; never written anywhere in clear. */
  principal?: string;
  /** Refuse, rather than run, a confirmable call from a client that cannot be asked. */
  require?: boolean;
}

export type Confirmation = { kind: 'go' } | { kind: 'answer'; result: CallToolResult | InputRequiredResult };

interface AskedState {
  /** When the question was put, for the operator's logs; the binding lives in the seal. */
  askedAt: number;
}

const CONFIRM_KEY = 'confirm';
const CONFIRM_SCHEMA = {
  type: 'object' as const,
  properties: {
    confirm: { type: 'boolean' as const, title: 'Go ahead', description: 'Confirm this action' },
  },
  required: ['confirm'],
};

/** The capabilities a 2026-07-28 request declares in its `_meta` envelope; undefined on 2025-era requests. */
export function requestCapabilities(ctx: ServerContext): ClientCapabilities | undefined {
  const envelope = ctx.mcpReq.envelope as Record<string, ClientCapabilities | undefined> | undefined;
  return envelope?.[CLIENT_CAPABILITIES_META_KEY];
}

/** Whether the client behind this request said it can answer an elicitation (per request on 2026-07-28). */
export function canElicit(ctx: ServerContext, sessionCapabilities: ClientCapabilities | undefined): boolean {
  return Boolean((requestCapabilities(ctx) ?? sessionCapabilities)?.elicitation);
}

export function confirmCall(
  tool: string,
  args: Record<string, unknown>,
  question: string,
  ctx: ServerContext,
  canAsk: boolean,
  opts: ConfirmOptions,
): Confirmation {
  const bind = { tool, args, principal: opts.principal };
  const echoed = ctx.mcpReq.requestState();
  if (echoed === undefined) {
    if (!canAsk) {
      if (!opts.require) return { kind: 'go' };
      return answer(
        `CONFIRMATION_REQUIRED: ${tool} needs the user's confirmation, and this client cannot ask (it declares no elicitation capability). ` +
          'The server runs with --require-confirmation, so nothing was sent to VOISA. Use a client that supports elicitation, or ask the operator.',
      );
    }
    return ask(question, opts.sealer.seal<AskedState>({ askedAt: Date.now() }, bind));
  }
  try {
    opts.sealer.open<AskedState>(echoed, bind);
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
  if (reply.kind === 'missing')
    return ask(question, opts.sealer.seal<AskedState>({ askedAt: Date.now() }, bind));
  const content = reply.kind === 'elicit' ? (reply.content as { confirm?: unknown } | undefined) : undefined;
  if (reply.kind === 'elicit' && reply.action === 'accept' && content?.confirm === true)
    return { kind: 'go' };
  return answer(`DECLINED: the user did not confirm ${tool}; nothing was sent to VOISA.`);
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
