/**
 * Live MCP sessions: each is one McpServer on one HTTP transport (streamable or legacy SSE),
 * bound to the hash of the key that opened it. Sessions expire after an idle
 * period with no open request (an open GET stream counts as activity), close
 * when the OAuth grant that opened them is revoked, and their number is capped.
 */
import type { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { LegacySseTransport } from './sse-transport.js';

export interface Session {
  id: string;
  keyHash: string;
  /** The OAuth grant that opened it, if any: its revocation closes the session (app.ts). */
  grantId?: string;
  server: McpServer;
  /** Streamable HTTP (/mcp), or the old HTTP+SSE transport (/sse + /messages). */
  transport: WebStandardStreamableHTTPServerTransport | LegacySseTransport;
  /** Open HTTP requests on this session (POST calls, the GET stream). */
  open: number;
  lastActive: number;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();

  constructor(
    readonly idleMs: number,
    readonly max: number,
    private readonly onClosed: (s: Session, reason: string) => void = () => {},
  ) {}

  get(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  add(session: Session): void {
    this.#sessions.set(session.id, session);
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** True when no new session fits, after expiring idle ones. */
  full(now = Date.now()): boolean {
    if (this.#sessions.size < this.max) return false;
    this.sweep(now);
    return this.#sessions.size >= this.max;
  }

  /** Marks a request started on the session; returns the function that marks it finished. */
  begin(session: Session): () => void {
    session.open++;
    session.lastActive = Date.now();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      session.open--;
      session.lastActive = Date.now();
    };
  }

  /** Closes sessions idle for longer than `idleMs`. */
  sweep(now = Date.now()): void {
    for (const s of this.#sessions.values()) {
      if (s.open <= 0 && now - s.lastActive > this.idleMs) void this.close(s.id, 'idle');
    }
  }

  /** Closes one session (its server and transport); idempotent. */
  async close(id: string, reason: string): Promise<void> {
    const s = this.#sessions.get(id);
    if (!s) return;
    this.#sessions.delete(id);
    this.onClosed(s, reason);
    await s.server.close().catch(() => {});
  }

  /** Forgets a session whose transport closed by itself (DELETE, client gone). */
  forget(id: string, reason: string): void {
    const s = this.#sessions.get(id);
    if (!s) return;
    this.#sessions.delete(id);
    this.onClosed(s, reason);
  }

  /** Closes the sessions of the grants `isRevoked` names (a revocation heard); returns how many. */
  closeGrant(isRevoked: (grantId: string) => boolean, reason: string): number {
    const ids = [...this.#sessions.values()]
      .filter((s) => s.grantId !== undefined && isRevoked(s.grantId))
      .map((s) => s.id);
    for (const id of ids) void this.close(id, reason);
    return ids.length;
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.#sessions.keys()].map((id) => this.close(id, reason)));
  }
}
