/**
 * Shapes shared by every part of the VOISA API. Declared once: the REST client
 * parses responses with them, the sandbox validates requests with them, and the
 * MCP tools reuse them as input and output schemas.
 */
import { z } from 'zod';

/** Every documented VOISA error code, plus the few the reference leaves implicit. */
export const ERROR_CODES = [
  'INVALID_API_KEY',
  'RATE_LIMIT_EXCEEDED',
  'AGENT_NOT_FOUND',
  'INSUFFICIENT_PERMISSIONS',
  'INVALID_REQUEST',
  'RESOURCE_LOCKED',
  // Not in the reference's table; decided here and used by the sandbox.
  'RESOURCE_NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ApiErrorBody = z.looseObject({
  code: z.string(),
  message: z.string(),
  field: z.string().optional(),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;

/** `{success, data, message, error, timestamp}`: the envelope around every JSON response. */
export const Envelope = z.looseObject({
  success: z.boolean(),
  data: z.unknown().optional(),
  message: z.string().optional(),
  error: ApiErrorBody.optional(),
  timestamp: z.string().optional(),
});
export type Envelope = z.infer<typeof Envelope>;

export const Pagination = z.looseObject({
  total: z.number().int(),
  page: z.number().int(),
  pages: z.number().int(),
});
export type Pagination = z.infer<typeof Pagination>;

/** Query fields of a paged list. Strings from a query string are coerced. */
export const PageQuery = {
  page: z.coerce.number().int().min(1).optional().describe('Page number, from 1 (default 1)'),
  limit: z.coerce.number().int().min(1).max(100).optional().describe('Items per page, 1-100 (default 20)'),
};

export const IsoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date or date-time' });

export const AgentId = z.string().min(1).max(100).describe('Agent id, e.g. agt_123');
export const ConversationId = z.string().min(1).max(100).describe('Conversation id, e.g. conv_123');
export const KbItemId = z.string().min(1).max(100).describe('Knowledge-base item id, e.g. kb_123');
export const McpServerId = z.string().min(1).max(100).describe('MCP server id, e.g. mcp_123');

/** The body of a plain acknowledgement (`{"success": true, "message": "..."}`, no data). */
export const Ack = z.looseObject({
  message: z.string().optional(),
});
export type Ack = z.infer<typeof Ack>;
