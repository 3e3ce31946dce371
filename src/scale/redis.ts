/**
 * The connection to Redis when instances share state (`--redis-url`).
 *
 * Start-up fails with a clear error when Redis cannot be reached. Once running, ioredis reconnects by
 * itself, and commands fail fast while Redis is away (no offline queue): every user of the link has
 * a local fallback, the health endpoint says `degraded`, and nothing crashes. ioredis is loaded only
 * here, lazily, so the default in-memory run never pays for it.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { LogFn } from '../mcp/log.js';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export type LinkStatus = 'ok' | 'degraded';

export interface RedisLink {
  /** For commands. */
  readonly command: Redis;
  /** A second connection, in subscriber mode. */
  readonly subscriber: Redis;
  /** Prefix of every key and channel. */
  readonly prefix: string;
  /** The logger the link was given (a no-op by default). */
  readonly log: LogFn;
  status(): LinkStatus;
  /** Calls `fn` on every change of `status()`; returns the function that stops it. */
  onStatus(fn: (status: LinkStatus) => void): () => void;
  /** Reports that Redis failed a command (a fallback was used); logged once per outage. */
  failed(what: string, err: unknown): void;
  /** Subscribes the subscriber connection to `channel`, again after every reconnection. */
  listen(channel: string): void;
  /**
   * Asks Redis now (a PING) whether it answers within `timeoutMs` (default 1 s), for `GET /readyz`:
   * `status()` says what the last command saw, this asks. False at once while disconnected (no offline queue).
   */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface RedisLinkOptions {
  log?: LogFn;
  connectTimeoutMs?: number;
  /** Default `voisa-mcp:`. */
  keyPrefix?: string;
  /** While degraded with the connection still open, how often Redis is PINGed to notice it is back. Default 1 s. */
  probeMs?: number;
}

/** The URL without its password, for messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the configured Redis URL';
  }
}

export async function connectRedis(url: string, opts: RedisLinkOptions = {}): Promise<RedisLink> {
  // ioredis is CommonJS: its named export may sit on `default` once bundled.
  const mod = (await import('ioredis')) as unknown as {
    Redis?: typeof import('ioredis').Redis;
    default?: { Redis?: typeof import('ioredis').Redis };
  };
  const Redis = (mod.Redis ?? mod.default?.Redis) as typeof import('ioredis').Redis;
  const log = opts.log ?? (() => {});
  const shown = redactRedisUrl(url);
  const timeout = opts.connectTimeoutMs ?? 3000;
  const options: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: timeout,
    // Keep trying, at most every 2 s: Redis coming back is noticed without a restart.
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
  };
  const command = new Redis(url, options);
  // Resubscribed by `listen` below, not by ioredis: its own resubscription leaves the SUBSCRIBE's
  // rejection unhandled when the link is closed while it is in flight.
  const subscriber = new Redis(url, {
    ...options,
    enableOfflineQueue: true,
    commandTimeout: undefined,
    autoResubscribe: false,
  });
  let lastError = '';
  const remember = (err: Error) => {
    lastError = (err as NodeJS.ErrnoException).code ?? err.message;
  };
  command.on('error', remember);
  subscriber.on('error', remember);

  try {
    await withTimeout(Promise.all([command.connect(), subscriber.connect()]), timeout);
    await withTimeout(command.ping(), timeout);
  } catch (err) {
    command.disconnect();
    subscriber.disconnect();
    const why = lastError || (err as Error).message;
    throw new RedisUnavailableError(
      `cannot reach Redis at ${shown} (${why}): start redis-server or fix --redis-url / VOISA_REDIS_URL`,
    );
  }

  let outage = false;
  let closing = false;
  let probe: NodeJS.Timeout | undefined;
  const watchers = new Set<(status: LinkStatus) => void>();
  const status = (): LinkStatus => (outage || command.status !== 'ready' ? 'degraded' : 'ok');
  let reported: LinkStatus = 'ok';
  const report = () => {
    const now = status();
    if (now === reported || closing) return;
    reported = now;
    for (const fn of watchers) {
      try {
        fn(now);
      } catch {
        // a watcher's failure is its own
      }
    }
  };
  const up = () => {
    if (probe) clearInterval(probe);
    probe = undefined;
    if (outage && !closing) log('info', 'Redis is back: state is shared again');
    outage = false;
    report();
  };
  const down = (what: string) => {
    if (closing) return;
    if (!outage) {
      outage = true;
      log('warning', `Redis unreachable (${what}): using per-instance fallbacks until it is back`);
    }
    // A command can fail (a timeout while Redis is busy) with the connection still open: then no
    // 'ready' event will say it is back, so ask it until it answers.
    if (!probe && command.status === 'ready') {
      probe = setInterval(() => {
        if (command.status === 'ready') command.ping().then(up, () => {});
      }, opts.probeMs ?? 1000);
      probe.unref();
    }
    report();
  };
  command.on('error', () => down(lastError));
  command.on('close', () => down('connection closed'));
  command.on('end', () => down('connection closed'));
  command.on('ready', up);

  const channels = new Set<string>();
  const subscribe = (channel: string) =>
    subscriber.subscribe(channel).catch((err) => {
      if (!closing) down(`subscribe ${channel}: ${(err as Error).message}`);
    });
  // Every (re)connection starts with no subscriptions; `listen` comes after the first one.
  subscriber.on('ready', () => {
    for (const channel of channels) void subscribe(channel);
  });

  return {
    command,
    subscriber,
    prefix: opts.keyPrefix ?? 'voisa-mcp:',
    log,
    status,
    onStatus(fn) {
      watchers.add(fn);
      return () => {
        watchers.delete(fn);
      };
    },
    failed: (what, err) => down(`${what}: ${(err as Error)?.message ?? err}`),
    listen(channel) {
      if (channels.has(channel)) return;
      channels.add(channel);
      void subscribe(channel);
    },
    async ping(timeoutMs = 1000) {
      if (closing) return false;
      try {
        return (await withTimeout(command.ping(), timeoutMs)) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      closing = true;
      if (probe) clearInterval(probe);
      watchers.clear();
      await Promise.allSettled([command.quit(), subscriber.quit()]);
      command.disconnect();
      subscriber.disconnect();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
