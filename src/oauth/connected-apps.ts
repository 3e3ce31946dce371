/**
 * The apps connected to a VOISA account: the grants its sign-ins gave, listed and revoked from the
 * `/account` page (account-page.ts), with when each was last used at `/mcp`.
 *
 * "The account" is VOISA's account, the `account_id` that `GET /api/verify` gives for a key. Every new
 * grant is noted under the key it was made with (which bounds the live grants per key) and, when VOISA
 * named the key's account, under that account too; so a person signed in with any key of an account
 * sees and revokes the apps connected with any key of it. A key whose account VOISA does not name sees
 * the grants of that key only. Each grant's own (sealed) account is checked again before it is shown
 * or revoked: the indexes only say where to look.
 */
import type { AccountSealer, VoisaAccount } from './account.js';
import type { OAuthKv } from './store.js';

/** What is read of an oidc-provider Grant. */
export interface GrantView {
  accountId?: string;
  clientId?: string;
  /** Seconds since the epoch. */
  iat?: number;
  getResourceScope(resource: string): string;
}

export interface ConnectedApp {
  grantId: string;
  clientId: string;
  clientName: string;
  scopes: string[];
  /** Milliseconds since the epoch. */
  grantedAt?: number;
  lastUsedAt?: number;
  /** Made with the key the viewer signed in with (else with another key of the same account). */
  sameKey: boolean;
}

export interface ConnectedAppsDeps {
  kv: OAuthKv;
  accounts: AccountSealer;
  /** The resource the grants' scopes are for (`<issuer>/mcp`). */
  resource: string;
  /** A keyed hash: names in the store never hold a key or an account id. */
  keyed(value: string): string;
  /** How long a grant lives (its index entries and its "last used" mark live as long). */
  ttlSec: number;
  /** Live grants per key; a new one past it ends the key's oldest. */
  maxPerKey: number;
  findGrant(grantId: string): Promise<GrantView | undefined>;
  clientName(clientId: string): Promise<string | undefined>;
  /** Ends a grant: its access and refresh tokens, its codes and the grant itself, in the shared store. */
  endGrant(grantId: string): Promise<void>;
  /** Least time between two "last used" writes for one grant by this instance (default 60 s). */
  usedEveryMs?: number;
}

export interface ConnectedApps {
  /** Notes a new grant under its key and account; past `maxPerKey`, ends the key's oldest grants. */
  add(account: VoisaAccount, grantId: string): Promise<void>;
  /** The live grants of the viewer's account (or key), newest first. */
  list(viewer: VoisaAccount): Promise<ConnectedApp[]>;
  /** Ends a grant of the viewer's account; undefined when it is not theirs, or already gone. */
  revoke(viewer: VoisaAccount, grantId: string): Promise<ConnectedApp | undefined>;
  /** Marks the grant used now (a token of it was accepted): one store write a grant a minute at most. */
  used(grantId: string): void;
}

/** At most this many grants are looked at for one listing. */
const MAX_LISTED = 500;
const GRANT_ID = /^[A-Za-z0-9_-]{1,128}$/;

export function connectedApps(d: ConnectedAppsDeps): ConnectedApps {
  const every = d.usedEveryMs ?? 60_000;
  /** When this instance last wrote each grant's "last used" (bounded: oldest written first out). */
  const written = new Map<string, number>();
  // The per-key name predates this page (it bounded grants per key): kept, so existing grants stay listed.
  const keyIndex = (key: string) => `grant:account:${d.keyed(`grants\n${key}`)}`;
  const accountIndex = (accountId: string) => `grant:voisa-account:${d.keyed(`voisa-account\n${accountId}`)}`;
  const usedName = (grantId: string) => `grant:used:${d.keyed(`used\n${grantId}`)}`;
  const indexesOf = (a: VoisaAccount) => [
    keyIndex(a.key),
    ...(a.accountId ? [accountIndex(a.accountId)] : []),
  ];
  /** Members sort by when they were made: `<ms, zero-padded>:<grant id>`. */
  const idOf = (member: string) => member.slice(member.indexOf(':') + 1);
  const belongs = (viewer: VoisaAccount, owner: VoisaAccount | undefined) =>
    !!owner &&
    (owner.key === viewer.key || (viewer.accountId !== undefined && owner.accountId === viewer.accountId));

  async function unindex(owner: VoisaAccount, grantIds: Set<string>) {
    for (const index of indexesOf(owner)) {
      const gone = (await d.kv.members(index)).filter((m) => grantIds.has(idOf(m)));
      await d.kv.removeFromSet(index, gone);
    }
  }

  async function describe(
    viewer: VoisaAccount,
    grantId: string,
    grant: GrantView,
    notedMs?: number,
  ): Promise<ConnectedApp> {
    const clientId = grant.clientId ?? '';
    const used = Number(await d.kv.get(usedName(grantId)));
    return {
      grantId,
      clientId,
      clientName: (await d.clientName(clientId)) || fallbackName(clientId),
      scopes: grant.getResourceScope(d.resource).split(' ').filter(Boolean).sort(),
      // When it was noted (ms), else the grant's own time (s).
      grantedAt: notedMs || (grant.iat ? grant.iat * 1000 : undefined),
      lastUsedAt: used > 0 ? used : undefined,
      sameKey: d.accounts.open(grant.accountId ?? '')?.key === viewer.key,
    };
  }

  return {
    async add(account, grantId) {
      const member = `${String(Date.now()).padStart(15, '0')}:${grantId}`;
      for (const index of indexesOf(account)) await d.kv.addToSet(index, member, d.ttlSec);
      const members = (await d.kv.members(keyIndex(account.key))).sort();
      const oldest = members.slice(0, Math.max(0, members.length - d.maxPerKey)).map(idOf);
      for (const id of oldest) await d.endGrant(id);
      if (oldest.length) await unindex(account, new Set(oldest));
    },

    async list(viewer) {
      const apps: ConnectedApp[] = [];
      const seen = new Set<string>();
      for (const index of indexesOf(viewer)) {
        const members = (await d.kv.members(index)).sort().reverse();
        const stale: string[] = [];
        for (const member of members) {
          const grantId = idOf(member);
          if (seen.has(grantId) || seen.size >= MAX_LISTED) continue;
          seen.add(grantId);
          const grant = await d.findGrant(grantId);
          // Expired, revoked by its client, or ended by a refresh-token replay: no longer connected.
          if (!grant) stale.push(member);
          else if (belongs(viewer, d.accounts.open(grant.accountId ?? '')))
            apps.push(await describe(viewer, grantId, grant, Number(member.slice(0, member.indexOf(':')))));
        }
        await d.kv.removeFromSet(index, stale);
      }
      return apps.sort((a, b) => (b.grantedAt ?? 0) - (a.grantedAt ?? 0));
    },

    async revoke(viewer, grantId) {
      if (!GRANT_ID.test(grantId)) return undefined;
      const grant = await d.findGrant(grantId);
      const owner = grant ? d.accounts.open(grant.accountId ?? '') : undefined;
      if (!grant || !owner || !belongs(viewer, owner)) return undefined;
      const app = await describe(viewer, grantId, grant);
      await d.endGrant(grantId);
      await unindex(owner, new Set([grantId]));
      await d.kv.del([usedName(grantId)]);
      written.delete(grantId);
      return app;
    },

    used(grantId) {
      if (!grantId) return;
      const now = Date.now();
      const last = written.get(grantId);
      if (last !== undefined && now - last < every) return;
      written.delete(grantId);
      if (written.size >= 10_000) written.delete(written.keys().next().value as string);
      written.set(grantId, now);
      // Best effort: a store that does not answer must not fail the request that used the token.
      void d.kv.set(usedName(grantId), String(now), d.ttlSec).catch(() => {});
    },
  };
}

/** A client without a registered name: the host of its metadata document URL, else a plain phrase. */
export function fallbackName(clientId: string): string {
  return clientId.startsWith('https://') ? (URL.parse(clientId)?.host ?? 'An application') : 'An application';
}
