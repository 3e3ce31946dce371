/** Failed reads become MCP errors that name the URI and the VOISA code; nothing else escapes. */
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { describeError, type SignIn } from '../tools/result.js';
import { ApiAbortError, ApiError, NotFoundError, ResponseTooLargeError } from '../voisa/index.js';

/**
 * JSON-RPC code of "Resource not found": -32602 (invalid params) on every protocol revision. The
 * 2026-07-28 specification requires it and 2025 clients accept it; the SDK maps the older -32002 to it.
 */
export const RESOURCE_NOT_FOUND = ProtocolErrorCode.InvalidParams;

/**
 * The McpError for anything a resource read (or a prompt built on one) threw; `signIn` says what a
 * refused key's next step is (ApiDeps.signIn).
 */
export function toMcpError(err: unknown, uri: string, signIn?: SignIn): ProtocolError {
  if (err instanceof ProtocolError) return err;
  const text = describeError(err, 'resources/read', signIn);
  const data: Record<string, unknown> = { uri };
  if (err instanceof ApiError) {
    data.code = err.code;
    data.status = err.status;
  }
  if (err instanceof NotFoundError) {
    return new ProtocolError(RESOURCE_NOT_FOUND, `Resource not found: ${uri} — ${text}`, data);
  }
  if (err instanceof ResponseTooLargeError) {
    const hint = 'use get_conversation_audio with save_to for large recordings';
    return new ProtocolError(ProtocolErrorCode.InvalidRequest, `${uri}: ${text} — ${hint}`, {
      ...data,
      limitBytes: err.limitBytes,
    });
  }
  if (err instanceof ApiAbortError) {
    return new ProtocolError(ProtocolErrorCode.InternalError, `${uri}: ${text}`, { ...data, timedOut: true });
  }
  return new ProtocolError(ProtocolErrorCode.InternalError, `${uri}: ${text}`, data);
}

/** Runs a read and converts whatever it throws. */
export async function guarded<T>(uri: string, read: () => Promise<T>, signIn?: SignIn): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw toMcpError(err, uri, signIn);
  }
}
