/**
 * `GET /metrics` (`--metrics` / `VOISA_METRICS=true`): every metric as Prometheus text, for a
 * Prometheus that scrapes this instance. Never public by default: answered to a loopback peer that no
 * proxy stands in front of (a request relayed by a proxy on this host arrives from loopback too, so
 * one naming a forwarded client is not taken as local), or to `Authorization: Bearer
 * $VOISA_METRICS_TOKEN` from anywhere (compared in constant time); 401 without a token, 403 with a
 * wrong one. Mounted before the Host guard, like the probes: a scrape names the instance by address.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Hono } from 'hono';
import { PROMETHEUS_CONTENT_TYPE } from '../../telemetry/types.js';
import { isLoopbackHost } from '../../web/auth.js';
import { normalizeAddress } from '../../web/client-address.js';
import type { HttpEnv } from '../../web/env.js';

export interface MetricsDeps {
  /** The Prometheus text of every metric now. */
  text(): Promise<string>;
  /** VOISA_METRICS_TOKEN: lets a scraper that is not on this host in. */
  token?: string;
}

const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

export function mountMetrics(app: Hono<HttpEnv>, d: MetricsDeps): void {
  const expected = d.token ? digest(d.token) : undefined;
  app.get('/metrics', async (c) => {
    const auth = c.req.header('authorization');
    if (auth !== undefined && auth.trim() !== '') {
      const sent = /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1];
      if (!expected || !sent || !timingSafeEqual(digest(sent), expected))
        return c.text('Forbidden: wrong metrics token.\n', 403, { 'cache-control': 'no-store' });
    } else {
      const peer = normalizeAddress(c.env?.incoming?.socket?.remoteAddress ?? '');
      const relayed = FORWARDED.some((h) => c.req.header(h) !== undefined);
      if (!peer || !isLoopbackHost(peer) || relayed)
        return c.text('Unauthorized: /metrics needs Authorization: Bearer <VOISA_METRICS_TOKEN>.\n', 401, {
          'cache-control': 'no-store',
          'www-authenticate': 'Bearer realm="metrics"',
        });
    }
    return c.body(await d.text(), 200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'cache-control': 'no-store',
    });
  });
}

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
