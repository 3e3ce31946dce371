/**
 * The state several instances of `voisa-mcp --http` share, behind one face: in memory by default
 * (nothing to install, one instance), in Redis with `--redis-url`.
 *
 * - `bus`: the `subscriptions/listen` events (2026-07-28): raised on any instance, delivered by all;
 * - `events`: accepted webhook events with their owner (a principal's opaque id), fanned out to every
 *   instance's hub once (2025-era sessions, `voisa://events`);
 * - `ledger`: accepted webhook ids, so a replay to another instance is refused;
 * - `verdicts`: API keys already checked with VOISA;
 * - `confirmations`: the confirmations of `make_call` and the deletes already acted on, so one is used
 *   once across all instances (in memory: this process's);
 * - `budgetFor`: the client-side request budget of each VOISA key;
 * - `placedCallsFor`: the calls `make_call` placed with each VOISA key, so `wait_for_call` follows a
 *   call from its id on any instance (absent in memory: each process keeps its own);
 * - `callBudgets`: the call policy's budgets of each principal (calls per hour, per day, in progress),
 *   checked and taken in one step by all instances together (absent in memory: the policy keeps its own);
 * - `eventStores`: resumable 2025-era session streams;
 * - `revocations`: revoked OAuth grants, so every instance ends the grant's open streams (revocations.ts).
 */
import { InMemoryServerEventBus, type ServerEvent, type ServerEventBus } from '@modelcontextprotocol/server';
import type { EventHub } from '../events/hub.js';
import type { DeliveryLedger } from '../events/webhooks.js';
import type { LogFn } from '../mcp/log.js';
import type { CallBudgets } from '../policy/budgets.js';
import { MemorySingleUse, type SingleUse } from '../security/single-use.js';
import type { PlacedCalls } from '../tools/define.js';
import type { RequestBudget } from '../voisa/types.js';
import type { VerdictStore } from '../web/auth.js';
import { sharedBudgets } from './budget.js';
import { redisCallBudgets } from './call-budgets.js';
import {
  type EventFanOut,
  type OwnedEvent,
  RedisChannel,
  RedisServerEventBus,
  redisEventFanOut,
} from './channel.js';
import { MemoryEventStores, RedisEventStores, type SessionEventStores } from './event-store.js';
import { redisPlacedCalls } from './placed-calls.js';
import { connectRedis, type RedisLink, redactRedisUrl } from './redis.js';
import { type GrantRevocations, memoryRevocations, redisRevocations } from './revocations.js';
import { redisLedger, redisSingleUse, redisVerdicts } from './stores.js';

export interface SharedHealth {
  status: 'ok' | 'degraded';
  redis: 'ok' | 'degraded' | 'off';
}

export interface SharedState {
  mode: 'memory' | 'redis';
  bus: ServerEventBus;
  /** Connects the local hub: what any instance publishes here reaches it. */
  events(hub: EventHub): EventFanOut;
  ledger?: DeliveryLedger;
  verdicts?: VerdictStore;
  /** Each confirmation's nonce, claimed once (ConfirmOptions.once). */
  confirmations: SingleUse;
  budgetFor?: (apiKey: string | undefined, perMinute: number) => RequestBudget;
  /** The placed calls of one VOISA key, for `make_call` and `wait_for_call` (ToolContext.calls). */
  placedCallsFor?: (apiKey: string) => PlacedCalls;
  /** The call policy's budgets (CallPolicyOptions.budgets); absent in memory: MemoryCallBudgets. */
  callBudgets?: CallBudgets;
  eventStores: SessionEventStores;
  /** Revoked OAuth grants, heard by every instance: each ends the grant's sessions and listen streams. */
  revocations: GrantRevocations;
  /** The Redis link itself, for state kept by other parts (the OAuth store); none in memory mode. */
  redis?: RedisLink;
  health(): SharedHealth;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  redisUrl?: string;
  /** From VOISA_SERVER_SECRET: names shared keys by keyed hashes. */
  secret: Buffer;
  log?: LogFn;
  keyPrefix?: string;
  connectTimeoutMs?: number;
}

export async function createSharedState(o: SharedStateOptions): Promise<SharedState> {
  if (!o.redisUrl) return memoryState();
  const link = await connectRedis(o.redisUrl, {
    log: o.log,
    keyPrefix: o.keyPrefix,
    connectTimeoutMs: o.connectTimeoutMs,
  });
  o.log?.('info', `sharing state through Redis at ${redactRedisUrl(o.redisUrl)}`);
  return redisState(link, o.secret);
}

/** The default: one instance, everything in this process. */
export function memoryState(): SharedState {
  return {
    mode: 'memory',
    bus: new InMemoryServerEventBus(),
    events: (hub) => ({ publish: (e, owner) => hub.publish(e, owner), subscribe: () => () => {} }),
    confirmations: new MemorySingleUse(),
    eventStores: new MemoryEventStores(),
    revocations: memoryRevocations(),
    health: () => ({ status: 'ok', redis: 'off' }),
    close: async () => {},
  };
}

function redisState(link: RedisLink, secret: Buffer): SharedState {
  const bus = new RedisServerEventBus(new RedisChannel<ServerEvent>(link, 'bus'));
  const fanOut = redisEventFanOut(new RedisChannel<OwnedEvent>(link, 'events'));
  return {
    mode: 'redis',
    bus,
    events(hub) {
      fanOut.subscribe((event, owner) => hub.publish(event, owner));
      return fanOut;
    },
    ledger: redisLedger(link),
    verdicts: redisVerdicts(link, secret),
    confirmations: redisSingleUse(link),
    budgetFor: sharedBudgets(link, secret),
    placedCallsFor: redisPlacedCalls(link, secret),
    callBudgets: redisCallBudgets(link, secret),
    eventStores: new RedisEventStores(link),
    revocations: redisRevocations(new RedisChannel<string>(link, 'grants-revoked'), secret),
    redis: link,
    health: () => {
      const redis = link.status();
      return { status: redis, redis };
    },
    close: () => link.close(),
  };
}

export { RedisUnavailableError, redactRedisUrl } from './redis.js';
export type { GrantRevocations, IsRevoked } from './revocations.js';
