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
  page: z.coerce.number().int().min(1).optional().describe('Default 1'),
  limit: z.coerce.number().int().min(1).max(100).optional().describe('Per page, default 20'),
};

export const IsoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO 8601 date or date-time' });

/**
 * Every id (agt_123, conv_123, voice_abc, …): letters, digits, `_` and `-`.
 * One pattern for all of them; it keeps ids safe as URL path segments, where
 * `.` or `..` (even percent-encoded) would be resolved as "this" or "parent".
 * A refinement, so not published in tool schemas: ids come from list_* tools,
 * and a `pattern` on each of ~20 id fields would cost ~270 tokens of tools/list.
 */
export const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
export const Id = z
  .string()
  .min(1)
  .max(100)
  .refine((s) => ID_PATTERN.test(s), { message: 'must be an id such as agt_123 (letters, digits, _ and -)' });

export const AgentId = Id.describe('Like agt_123');
export const ConversationId = Id.describe('Conversation id (conv_123)');
export const KbItemId = Id.describe('Knowledge-base item id (kb_123)');
export const McpServerId = Id.describe('MCP server id (mcp_123)');

/**
 * An http(s) URL. A refinement rather than `z.url()`: that publishes
 * `format: "uri"`, which Gemini and a default ajv reject.
 */
export const HttpUrl = z.string().refine(isHttpUrl, { message: 'Invalid URL: must be http(s)://host/…' });

function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\/[^/?#\s]/i.test(s) || !URL.canParse(s)) return false;
  return new URL(s).hostname !== '';
}

/** The body of a plain acknowledgement (`{"success": true, "message": "..."}`, no data). */
export const Ack = z.looseObject({
  message: z.string().optional(),
});
export type Ack = z.infer<typeof Ack>;
