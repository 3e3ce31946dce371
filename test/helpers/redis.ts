/**
 * Debian's redis-server for the tests of src/scale: started on a free loopback port with a temp dir and
 * no persistence (scripts/services.mjs), or `undefined` when it is not installed. Use `requireRedis()`
 * with `describe.skipIf`: a missing binary skips the tests with a message saying how to install it,
 * except under CI, where the tests run and `mustStartRedis()` fails them.
 */
import { REDIS_BIN, type RunningRedis, startRedis as startDebianRedis } from '../../scripts/services.mjs';

export type { RunningRedis };

export const redisMissingMessage =
  'redis-server is not installed: apt-get install redis-server (it must be /usr/bin/redis-server or on PATH)';

/** True when the binary is here. */
export const hasRedis = REDIS_BIN !== undefined;

/** A running redis-server that answers PING, or undefined when the binary is missing. */
export async function startRedis(): Promise<RunningRedis | undefined> {
  if (!hasRedis) return undefined;
  const redis = await startDebianRedis();
  await untilPong(redis.port);
  const restart = redis.restart.bind(redis);
  return {
    ...redis,
    async restart() {
      await restart();
      await untilPong(redis.port);
    },
  };
}

/** For `describe.skipIf(!requireRedis())`: false (skip, with a message) only when Redis is missing outside CI. */
export function requireRedis(): boolean {
  if (hasRedis || process.env.CI) return true;
  console.warn(`skipping the Redis tests: ${redisMissingMessage}`);
  return false;
}

/** `startRedis()`, failing the test when the binary is missing (CI). */
export async function mustStartRedis(): Promise<RunningRedis> {
  const redis = await startRedis();
  if (!redis) throw new Error(redisMissingMessage);
  return redis;
}

/** Waits until the server answers PING with PONG (it may be listening before it is loaded). */
async function untilPong(port: number, ms = 10_000): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + ms;
  for (;;) {
    const pong = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.setTimeout(1000, () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.on('data', (d) => {
        answer += d;
        if (answer.includes('\r\n')) {
          socket.destroy();
          resolve(answer.startsWith('+PONG'));
        }
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (pong) return;
    if (Date.now() > until) throw new Error(`redis-server on 127.0.0.1:${port} does not answer PING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
