/** Starts one sandbox instance: state, HTTP server, timers. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SandboxEnv } from './context.js';
import { FaultRegistry } from './faults.js';
import { nowIso } from './http.js';
import { RateLimiter } from './rate-limit.js';
import {
  DEMO_ACCOUNT,
  DEMO_ACCOUNT_ID,
  DEMO_KEY,
  READ_ONLY_KEY,
  SECOND_ACCOUNT,
  SECOND_KEY,
  seedKeys,
  seedStore,
} from './seed.js';
import { SandboxApp } from './server.js';
import { Accounts } from './store.js';
import type { Sandbox, SandboxOptions } from './types.js';
import { WebhookDispatcher } from './webhooks.js';

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const host = o.host ?? '127.0.0.1';
  const accounts = new Accounts();
  const timers = new Set<NodeJS.Timeout>();
  const webhooks = new WebhookDispatcher(o.externalWebhooks ?? false);

  const populate = () => {
    accounts.clear();
    seedKeys(accounts);
    if (o.seed !== false) seedStore(accounts);
    for (const w of o.webhooks ?? []) {
      const store = accounts.store(w.account_id ?? DEMO_ACCOUNT_ID);
      const id = store.newId('wh');
      store.webhooks.set(id, {
        id,
        url: w.url,
        events: [...w.events],
        secret: w.secret,
        created_at: nowIso(),
      });
    }
  };
  populate();

  const env: SandboxEnv = {
    accounts,
    webhooks,
    trainingMs: o.trainingMs ?? 3000,
    callMs: o.callMs ?? 4000,
    referenceShape: o.referenceShape ?? false,
    baseUrl: '',
    schedule(fn, ms) {
      const t = setTimeout(() => {
        timers.delete(t);
        try {
          fn();
        } catch (err) {
          process.stderr.write(`voisa-sandbox: timer failed: ${String(err)}\n`);
        }
      }, ms);
      t.unref();
      timers.add(t);
    },
  };
  const faults = new FaultRegistry();
  const limiter = new RateLimiter(o.rateLimitPerMin ?? 100);
  const app = new SandboxApp(env, faults, limiter, () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    populate();
    faults.clear();
    limiter.reset();
    app.log.length = 0;
  });

  const server = createServer(app.listener);
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}`;
  env.baseUrl = `${url}/v1`;

  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: env.baseUrl,
    demoKey: DEMO_KEY,
    readOnlyKey: READ_ONLY_KEY,
    demoAccount: { ...DEMO_ACCOUNT },
    secondKey: SECOND_KEY,
    secondAccount: { ...SECOND_ACCOUNT },
    revokeKey(key) {
      if (!accounts.revoke(key)) throw new Error('revokeKey: no such API key');
    },
    requests: () => app.requests(),
    clearRequests: () => {
      app.log.length = 0;
    },
    injectFault: (f) => faults.add(f),
    clearFaults: () => faults.clear(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        webhooks.close();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
