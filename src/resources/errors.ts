/** Failed reads become MCP errors that name the URI and the VOISA code; nothing else escapes. */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { describeError } from '../tools/result.js';
import { ApiAbortError, ApiError, NotFoundError, ResponseTooLargeError } from '../voisa/index.js';

/** JSON-RPC code the MCP spec gives to "Resource not found". */
export const RESOURCE_NOT_FOUND = -32002;

/** The McpError for anything a resource read (or a prompt built on one) threw. */
export function toMcpError(err: unknown, uri: string): McpError {
  if (err instanceof McpError) return err;
  const text = describeError(err, 'resources/read');
  const data: Record<string, unknown> = { uri };
  if (err instanceof ApiError) {
    data.code = err.code;
    data.status = err.status;
  }
  if (err instanceof NotFoundError) {
    return new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri} — ${text}`, data);
  }
  if (err instanceof ResponseTooLargeError) {
    const hint = 'use get_conversation_audio with save_to for large recordings';
    return new McpError(ErrorCode.InvalidRequest, `${uri}: ${text} — ${hint}`, {
      ...data,
      limitBytes: err.limitBytes,
    });
  }
  if (err instanceof ApiAbortError) {
    return new McpError(ErrorCode.RequestTimeout, `${uri}: ${text}`, data);
  }
  return new McpError(ErrorCode.InternalError, `${uri}: ${text}`, data);
}

/** Runs a read and converts whatever it throws. */
export async function guarded<T>(uri: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw toMcpError(err, uri);
  }
}
