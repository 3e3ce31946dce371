/**
 * Who a request acts for, and whether VOISA accepts its key: built once by the app (app.ts) and
 * used by `/mcp` of both protocol generations and by the legacy `/sse` transport alike.
 */
import type { LogFn } from '../mcp/log.js';
import type { OAuthGate } from '../oauth/gate.js';
import { CATALOGUE, type ToolFilter } from '../tools/index.js';
import { SIGN_IN_KEY_REFUSED } from '../tools/result.js';
import { allowedTools, parseScopes } from '../tools/scopes.js';
import type { VoisaClient, VoisaLogger } from '../voisa/index.js';
import {
  hashKey,
  KeyVerifier,
  RefusalLimiter,
  RefusalTally,
  resolveKey,
  type VerdictStore,
} from '../web/auth.js';
import type { Caller } from '../web/env.js';
import { rpcError, SERVER_ERROR, unauthorized } from '../web/responses.js';

export interface CallersOptions {
  /** Base client: each key is checked with a throwaway copy of it. */
  api: Pick<VoisaClient, 'withApiKey'>;
  /** The server's own key, lent to keyless requests when `loopbackOnly`. */
  serverKey?: string;
  loopbackOnly: boolean;
  /** With --public-url: its access tokens act with their grant's key and scopes. */
  oauth?: Pick<OAuthGate, 'issuer' | 'challenge' | 'checkToken' | 'revokeGrant'>;
  /** The server's tool filter, which a grant narrows further. */
  filter?: ToolFilter;
  maxKeyRefusalsPerMinute?: number;
  /** Key verdicts shared between instances (Redis), if any. */
  verdicts?: VerdictStore;
  log: LogFn;
}

export interface Callers {
  /** The caller of a request, or the 401 (or 503) that says how to authenticate. */
  identify(authorization: string | undefined): Promise<Caller | Response>;
  /**
   * Undefined when the key is good, else the answer to send (a grant whose key VOISA refuses is revoked).
   * `address` is the request's client address (`clientAddress`, set by the middleware), which refusals
   * are counted by. Passed, not kept in an AsyncLocalStorage: on Node 20 and 22 one in use makes every
   * promise of every request pay async hooks (about 15% of a list_agents call, bench:http).
   */
  checkKey(caller: KeyHolder, address: string): Promise<Response | undefined>;
  /** Drops the "valid" verdict on the key behind `hash` (VOISA refused it on a call). */
  forget(hash: string): void;
  /** Expires the per-address refusal counts and logs the refusals of the last while. */
  sweep(): void;
  /** Logs the refusals not logged yet (on close). */
  close(): void;
}

/** What checkKey needs of a caller. */
export type KeyHolder = Pick<Caller, 'hash' | 'key' | 'grantId'>;

const SILENT: VoisaLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function createCallers(o: CallersOptions): Callers {
  const { log } = o;
  // A key is checked with a throwaway client that logs nothing: a refused key costs
  // one upstream call (then the negative cache), never a pooled client or a log line.
  const verifier = new KeyVerifier((key) => o.api.withApiKey(key, { logger: SILENT }), {}, o.verdicts);
  const limiter = new RefusalLimiter(o.maxKeyRefusalsPerMinute);
  const refusals = new RefusalTally((line) => log('warning', line));

  /**
   * The caller of a /mcp request, or the 401 that says how to authenticate. With OAuth on, a bearer
   * token of this server's authorization server acts with the VOISA key its grant holds, limited to
   * the tools its scopes (and the key's own permissions) allow; anything else is taken as a VOISA key.
   */
  async function identify(authorization: string | undefined): Promise<Caller | Response> {
    const challenge = o.oauth?.challenge ?? '';
    const key = resolveKey(authorization, { key: o.serverKey, loopbackOnly: o.loopbackOnly });
    if (!key.ok) {
      const how = o.oauth
        ? `Authorization: Bearer is required: sign in with OAuth (${o.oauth.issuer}/.well-known/oauth-protected-resource/mcp names the authorization server), or send a VOISA API key.`
        : key.message;
      return unauthorized(authorization?.trim() ? key.message : how, false, challenge);
    }
    if (!o.oauth || key.fromServer) return { key: key.key, hash: key.hash, binding: key.hash };
    let check: Awaited<ReturnType<OAuthGate['checkToken']>>;
    try {
      check = await o.oauth.checkToken(key.key);
    } catch (err) {
      log('warning', `could not check an OAuth access token: ${(err as Error).message}`);
      return rpcError(
        503,
        SERVER_ERROR,
        'Could not check the access token (token store unreachable); retry shortly',
        {
          'retry-after': '5',
        },
      );
    }
    if (check.kind === 'not-ours') return { key: key.key, hash: key.hash, binding: key.hash };
    if (check.kind === 'invalid')
      return unauthorized(`invalid_token: ${check.reason}. Sign in again.`, true, challenge);
    const granted = allowedTools(CATALOGUE, check.scopes, check.account.permissions);
    const hash = hashKey(check.account.key);
    // The scopes go with the tools: resources, prompts and live updates follow them (tools/scopes.ts REACH).
    const scopes = parseScopes(check.scopes.join(' '));
    return {
      key: check.account.key,
      hash,
      binding: hashKey(`${hash}\n${[...granted].sort().join(',')}\n${scopes.join(' ')}`),
      filter: { ...o.filter, granted, scopes },
      grantId: check.grantId,
      client: { id: check.clientId, name: check.clientName },
    };
  }

  /**
   * Undefined when the key is good, else the answer to send. Nothing is kept per
   * key until VOISA accepts it. An address whose keys failed verification too often
   * this minute (refused, or VOISA could not say) gets 429 for any key not already
   * known good, without asking VOISA.
   * Refusals are logged in aggregate by `sweep`, never one line each.
   */
  async function checkKey({ hash, key, grantId }: KeyHolder, address: string): Promise<Response | undefined> {
    if (verifier.cached(hash) !== 'valid') {
      const wait = limiter.retryAfter(address);
      if (wait !== undefined) {
        refusals.add(address, true);
        return rpcError(
          429,
          SERVER_ERROR,
          `Too many API keys from this address failed verification; retry in ${wait} s with a valid key`,
          { 'retry-after': String(wait) },
        );
      }
    }
    try {
      const verdict = await verifier.verify(hash, key);
      if (verdict === 'invalid') {
        limiter.refused(address);
        refusals.add(address, false);
        // The key behind an OAuth grant was rotated or revoked: end the grant (a refresh would mint
        // tokens that can never work) and send the client back to sign-in.
        if (grantId && o.oauth) {
          await o.oauth.revokeGrant(grantId);
          return unauthorized(
            `invalid_token: ${SIGN_IN_KEY_REFUSED}, so this sign-in has ended. Sign in to VOISA again from your application (reconnect voisa-mcp).`,
            true,
            o.oauth.challenge,
            `${SIGN_IN_KEY_REFUSED}; sign in again`,
          );
        }
        return unauthorized(
          'INVALID_API_KEY: VOISA rejected this API key (GET /api/verify). Check it, or create one with `voisa-mcp login`.',
          true,
        );
      }
      return undefined;
    } catch (err) {
      // Counted too: whatever VOISA answers, one address gets only so many upstream checks a minute.
      limiter.refused(address);
      log('warning', `could not verify an API key: ${(err as Error).message}`);
      return rpcError(
        502,
        SERVER_ERROR,
        `Could not verify the API key with VOISA: ${(err as Error).message}`,
      );
    }
  }

  return {
    identify,
    checkKey,
    forget: (hash) => void verifier.forget(hash),
    sweep() {
      limiter.sweep();
      refusals.flush();
    },
    close: () => refusals.flush(Date.now(), true),
  };
}
