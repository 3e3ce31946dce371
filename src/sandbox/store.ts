/**
 * The sandbox's mutable state. Every record belongs to one account: each account has its own
 * `Store`, so a route that only ever looks in the caller's store cannot see another account's
 * records (another account's id answers exactly as a missing one). `Accounts` holds the stores,
 * the API keys and the id generator, which never hands out an id any account already uses.
 */
import { randomBytes } from 'node:crypto';
import { newId } from './ids.js';
import type {
  AgentRecord,
  ApiKeyRecord,
  ConversationRecord,
  KbRecord,
  McpServerRecord,
  VoiceRecord,
  WebhookRecord,
} from './types.js';

export interface ChatSession {
  id: string;
  agent_id: string;
  turns: { role: 'user' | 'agent'; text: string }[];
}

export class Store {
  readonly agents = new Map<string, AgentRecord>();
  readonly kb = new Map<string, KbRecord>();
  readonly conversations = new Map<string, ConversationRecord>();
  readonly mcpServers = new Map<string, McpServerRecord>();
  /** The stock voices (the same catalogue in every account) and the account's custom voices. */
  readonly voices = new Map<string, VoiceRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly sessions = new Map<string, ChatSession>();

  constructor(
    readonly accountId: string,
    private readonly ids: { fresh(prefix: string, length?: number): string } = { fresh: newId },
  ) {}

  /** A new id, unused in every account (seeded or created). */
  newId(prefix: string, length?: number): string {
    return this.ids.fresh(prefix, length);
  }

  has(id: string): boolean {
    return [
      this.agents,
      this.kb,
      this.conversations,
      this.mcpServers,
      this.voices,
      this.webhooks,
      this.sessions,
    ].some((m) => m.has(id));
  }

  clear(): void {
    this.agents.clear();
    this.kb.clear();
    this.conversations.clear();
    this.mcpServers.clear();
    this.voices.clear();
    this.webhooks.clear();
    this.sessions.clear();
  }

  kbOf(agentId: string): KbRecord[] {
    return [...this.kb.values()].filter((k) => k.agent_id === agentId);
  }

  conversationsOf(agentId: string): ConversationRecord[] {
    return [...this.conversations.values()].filter((c) => c.agent_id === agentId);
  }

  /** Every tool name offered by one of the account's connected MCP servers. */
  toolNames(): Set<string> {
    const names = new Set<string>();
    for (const s of this.mcpServers.values()) for (const t of s.tools) names.add(t.name);
    return names;
  }
}

export interface AccountRecord {
  id: string;
  email: string;
  password: string;
}

/** All accounts of one sandbox: their credentials, stores and API keys. */
export class Accounts {
  /** Every key ever seeded or minted, revoked ones included (they answer 401). */
  readonly keys = new Map<string, ApiKeyRecord>();
  private readonly accounts = new Map<string, AccountRecord>();
  private readonly stores = new Map<string, Store>();
  /** Ids handed out since the last reset: never handed out again, even after a delete. */
  private readonly issued = new Set<string>();

  /** The account's store (created empty on first use). */
  store(accountId: string): Store {
    let s = this.stores.get(accountId);
    if (!s) {
      s = new Store(accountId, this);
      this.stores.set(accountId, s);
    }
    return s;
  }

  addAccount(a: AccountRecord): void {
    this.accounts.set(a.id, { ...a });
    this.store(a.id);
  }

  /** The account whose email (case-insensitive) and password match. */
  signIn(email: string, password: string): AccountRecord | undefined {
    const e = email.toLowerCase();
    return [...this.accounts.values()].find((a) => a.email === e && a.password === password);
  }

  /** The key `POST /api/get-api-key` hands out: the account's first full key, a new one once it was revoked. */
  keyFor(accountId: string, expiresAt: string): ApiKeyRecord {
    const full = (k: ApiKeyRecord) =>
      k.accountId === accountId && !k.revoked && k.permissions.includes('delete');
    const found = [...this.keys.values()].find(full);
    if (found) return found;
    const key = `vsa_test_sbx${randomBytes(21).toString('base64url').replace(/[-_]/g, 'x').slice(0, 28)}`;
    const rec: ApiKeyRecord = { key, accountId, permissions: ['read', 'write', 'delete'], expiresAt };
    this.keys.set(key, rec);
    return rec;
  }

  /** The key answers 401 from now on (until reset); false when no such key exists. */
  revoke(key: string): boolean {
    const rec = this.keys.get(key);
    if (rec) rec.revoked = true;
    return rec !== undefined;
  }

  fresh(prefix: string, length?: number): string {
    for (;;) {
      const id = newId(prefix, length);
      if (this.issued.has(id) || [...this.stores.values()].some((s) => s.has(id))) continue;
      this.issued.add(id);
      return id;
    }
  }

  /** Forgets every record, key and account (reset). */
  clear(): void {
    for (const s of this.stores.values()) s.clear();
    this.stores.clear();
    this.accounts.clear();
    this.keys.clear();
    this.issued.clear();
  }
}
