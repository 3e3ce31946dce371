/** `GET /healthz`: for balancers and probes, answered before the Host guard and shutdown 503 (app.ts). */
import type { Hono } from 'hono';
import type { SharedState } from '../../scale/index.js';
import type { HttpEnv } from '../../web/env.js';

export interface HealthDeps {
  /** True once shutdown began: 503 `closing`, so a balancer stops sending here. */
  closing(): boolean;
  stateless: boolean;
  sessions: { readonly size: number };
  shared: Pick<SharedState, 'health'>;
  instanceId?: string;
}

export function mountHealth(app: Hono<HttpEnv>, d: HealthDeps): void {
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
        ...(d.instanceId ? { instance: d.instanceId } : {}),
      },
      closing ? 503 : 200,
    );
  });
}
