/** What every /mcp route module shares about a request in flight. */
import type { Context } from 'hono';
import type { HttpEnv } from '../../web/env.js';

export type Ctx = Context<HttpEnv>;

/** Runs `fn` once the HTTP response is finished or the client went away. */
export function whenDone(c: Ctx, fn: () => void): void {
  const outgoing = c.env?.outgoing;
  if (outgoing) outgoing.once('close', fn);
  else queueMicrotask(fn);
}
