/** Fault injection: the next N matching requests fail, stall, reset or answer garbage. */
import { z } from 'zod';
import type { FaultSpec } from './types.js';

/** Validates a FaultSpec posted to `POST /__sandbox/faults`. */
export const FaultSpecSchema = z.object({
  method: z.string().min(1).optional(),
  account_id: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  path: z.string().min(1).optional(),
  times: z.number().int().min(1).optional(),
  status: z.number().int().min(100).max(599).optional(),
  code: z.string().min(1).optional(),
  message: z.string().optional(),
  field: z.string().optional(),
  retryAfter: z.string().optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  reset: z.boolean().optional(),
  malformed: z.enum(['non-json', 'non-envelope']).optional(),
});

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

function normalisePath(p: string): string {
  return p.startsWith('/v1/') ? p.slice(3) : p;
}

export class FaultRegistry {
  private faults: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec: { ...spec }, remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  list(): (FaultSpec & { remaining: number })[] {
    return this.faults.map((f) => ({ ...shown(f.spec), remaining: f.remaining }));
  }

  /**
   * Finds the first fault matching the request and consumes one use of it. `caller` is the API key
   * sent and its account (both undefined without a known key).
   */
  take(method: string, path: string, caller: Caller = {}): FaultSpec | undefined {
    const i = this.faults.findIndex((f) => matches(f.spec, method, path, caller));
    if (i < 0) return undefined;
    const f = this.faults[i] as ActiveFault;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return f.spec;
  }
}

export interface Caller {
  key?: string;
  accountId?: string;
}

/** A fault as listed or echoed: a key it is limited to is never shown. */
export function shown(spec: FaultSpec): FaultSpec {
  return spec.key === undefined ? { ...spec } : { ...spec, key: '[REDACTED]' };
}

function matches(spec: FaultSpec, method: string, path: string, caller: Caller): boolean {
  if (spec.method && spec.method.toUpperCase() !== method.toUpperCase()) return false;
  if (spec.account_id !== undefined && spec.account_id !== caller.accountId) return false;
  if (spec.key !== undefined && spec.key !== caller.key) return false;
  if (!spec.path) return true;
  const want = normalisePath(spec.path);
  return want.endsWith('*') ? path.startsWith(want.slice(0, -1)) : path === want;
}

/** A fault that only delays lets the request through afterwards. */
export function isDelayOnly(f: FaultSpec): boolean {
  return !f.reset && !f.malformed && f.status === undefined && f.code === undefined;
}
