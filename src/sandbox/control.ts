/**
 * `/__sandbox/*`: request log, fault injection (optionally for one account or key), key
 * revocation and reset over HTTP (no auth; loopback only).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ApiFailure } from './errors.js';
import type { FaultRegistry } from './faults.js';
import { FaultSpecSchema, shown } from './faults.js';
import { JSON_LIMIT, readRaw, sendOk } from './http.js';
import type { RequestLogEntry } from './types.js';
import { validate } from './validate.js';

export interface ControlDeps {
  faults: FaultRegistry;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  reset(): void;
  /** False when no such key exists. */
  revokeKey(key: string): boolean;
}

const RevokeSchema = z.object({ key: z.string().min(1) });

async function readJson(req: IncomingMessage): Promise<unknown> {
  const raw = await readRaw(req, JSON_LIMIT);
  try {
    return JSON.parse(raw.toString('utf8') || '{}');
  } catch {
    throw new ApiFailure(400, 'INVALID_REQUEST', 'Request body is not valid JSON', 'body');
  }
}

export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  deps: ControlDeps,
): Promise<void> {
  const method = req.method ?? 'GET';
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /__sandbox/requests':
      return sendOk(res, 200, { requests: deps.requests() });
    case 'DELETE /__sandbox/requests':
      deps.clearRequests();
      return sendOk(res, 200, undefined, 'Request log cleared');
    case 'GET /__sandbox/faults':
      return sendOk(res, 200, { faults: deps.faults.list() });
    case 'POST /__sandbox/faults': {
      const spec = validate(FaultSpecSchema, await readJson(req));
      deps.faults.add(spec);
      return sendOk(res, 201, { fault: shown(spec) }, 'Fault armed');
    }
    case 'POST /__sandbox/keys/revoke': {
      const { key } = validate(RevokeSchema, await readJson(req));
      if (!deps.revokeKey(key)) throw new ApiFailure(404, 'RESOURCE_NOT_FOUND', 'No such API key', 'key');
      return sendOk(res, 200, undefined, 'API key revoked; POST /__sandbox/reset restores it');
    }
    case 'DELETE /__sandbox/faults':
      deps.faults.clear();
      return sendOk(res, 200, undefined, 'Faults cleared');
    case 'POST /__sandbox/reset':
      req.resume();
      deps.reset();
      return sendOk(res, 200, undefined, 'Sandbox reset');
    default:
      throw new ApiFailure(404, 'RESOURCE_NOT_FOUND', `No sandbox control route ${route}`, 'path');
  }
}
