/** `/__sandbox/*`: request log, fault injection and reset over HTTP (no auth; loopback only). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiFailure } from './errors.js';
import type { FaultRegistry } from './faults.js';
import { FaultSpecSchema } from './faults.js';
import { JSON_LIMIT, readRaw, sendOk } from './http.js';
import type { RequestLogEntry } from './types.js';
import { validate } from './validate.js';

export interface ControlDeps {
  faults: FaultRegistry;
  requests(): RequestLogEntry[];
  clearRequests(): void;
  reset(): void;
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
      const raw = await readRaw(req, JSON_LIMIT);
      let value: unknown;
      try {
        value = JSON.parse(raw.toString('utf8') || '{}');
      } catch {
        throw new ApiFailure(400, 'INVALID_REQUEST', 'Request body is not valid JSON', 'body');
      }
      const spec = validate(FaultSpecSchema, value);
      deps.faults.add(spec);
      return sendOk(res, 201, { fault: spec }, 'Fault armed');
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
