/**
 * The probes, answered before the Host guard and the shutdown 503 (app.ts), whatever the Host:
 * - `GET /healthz`, liveness: 200 while the process serves (`degraded` included), 503 `closing`.
 * - `GET /readyz`, readiness: 200 only when this instance is warm, not closing and, with Redis,
 *   Redis answers a PING now; else 503 with the reason. A balancer or orchestrator sends traffic
 *   on it; a restart is for `/healthz` alone (a Redis outage must not restart every instance).
 */
import type { Hono } from 'hono';
import type { SharedState } from '../../scale/index.js';
import type { HttpEnv } from '../../web/env.js';

export interface HealthDeps {
  /** True once shutdown began: 503 `closing`, so a balancer stops sending here. */
  closing(): boolean;
  /** True once the app's `warmUp()` has finished (listen.ts runs it before listening). */
  warm(): boolean;
  stateless: boolean;
  sessions: { readonly size: number };
  shared: Pick<SharedState, 'health' | 'redis'>;
  instanceId?: string;
  /** How long one Redis PING may take, default 1 s. */
  redisTimeoutMs?: number;
  /** How long a PING's answer is reused, default 1 s: a flood of probes sends Redis one PING a second. */
  redisCacheMs?: number;
}

export type NotReady = 'warming' | 'closing' | 'redis unreachable';

/** Probes must never be cached by a proxy: each answer is the state now. */
const NO_STORE = { 'cache-control': 'no-store' };

export function mountHealth(app: Hono<HttpEnv>, d: HealthDeps): void {
  const instance = d.instanceId ? { instance: d.instanceId } : {};
  // Degraded (shared state unreachable) still answers 200: calls that do not need it keep working.
  app.get('/healthz', (c) => {
    const health = d.shared.health();
    const closing = d.closing();
    return c.json(
      {
        status: closing ? 'closing' : health.status,
        mode: d.stateless ? 'stateless' : 'stateful',
        sessions: d.sessions.size,
        redis: health.redis,
        ...instance,
      },
      closing ? 503 : 200,
      NO_STORE,
    );
  });

  const link = d.shared.redis;
  const redisAnswers = link
    ? reusedFor(d.redisCacheMs ?? 1000, () => link.ping(d.redisTimeoutMs ?? 1000))
    : undefined;
  app.get('/readyz', async (c) => {
    let reason: NotReady | undefined;
    if (d.closing()) reason = 'closing';
    else if (!d.warm()) reason = 'warming';
    else if (redisAnswers && !(await redisAnswers())) reason = 'redis unreachable';
    // Shutdown may have begun while Redis was asked.
    if (!reason && d.closing()) reason = 'closing';
    const redis = redisAnswers ? (reason === 'redis unreachable' ? 'unreachable' : 'ok') : 'off';
    return c.json(
      reason ? { status: 'not ready', reason, redis, ...instance } : { status: 'ready', redis, ...instance },
      reason ? 503 : 200,
      NO_STORE,
    );
  });
}

/**
 * `ask`, asked at most once per `maxAgeMs`: callers within that time get the last answer, and
 * callers while it is being asked share that one question.
 */
function reusedFor(maxAgeMs: number, ask: () => Promise<boolean>): () => Promise<boolean> {
  let last: { at: number; value: boolean } | undefined;
  let pending: Promise<boolean> | undefined;
  return () => {
    if (last && Date.now() - last.at < maxAgeMs) return Promise.resolve(last.value);
    pending ??= ask()
      .catch(() => false)
      .then((value) => {
        last = { at: Date.now(), value };
        pending = undefined;
        return value;
      });
    return pending;
  };
}
