/** Low-level HTTP helpers: envelopes, body reading, multipart parsing. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiFailure } from './errors.js';

export const JSON_LIMIT = 1024 * 1024;
export const MULTIPART_LIMIT = 25 * 1024 * 1024;

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendOk(res: ServerResponse, status: number, data: unknown, message?: string): void {
  const body: Record<string, unknown> = { success: true };
  if (data !== undefined) body.data = data;
  if (message !== undefined) body.message = message;
  body.timestamp = nowIso();
  sendJson(res, status, body);
}

export function sendError(res: ServerResponse, failure: ApiFailure): void {
  const error: Record<string, string> = { code: failure.code, message: failure.message };
  if (failure.field !== undefined) error.field = failure.field;
  sendJson(res, failure.status, { success: false, error, timestamp: nowIso() }, failure.headers);
}

/** A parsed multipart body. */
export interface MultipartBody {
  kind: 'multipart';
  fields: Record<string, string>;
  files: { field: string; name: string; size: number; type: string; data: Buffer }[];
}

export type ParsedBody = { kind: 'none' } | { kind: 'json'; value: unknown } | MultipartBody;

/** Reads the whole body, draining past the limit (then 413) so the client always gets an answer. */
export async function readRaw(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = declared > limit;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  if (tooLarge) {
    throw new ApiFailure(413, 'PAYLOAD_TOO_LARGE', `Request body exceeds ${limit} bytes`, 'body');
  }
  return Buffer.concat(chunks);
}

export function isMultipart(req: IncomingMessage): boolean {
  return (req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data');
}

export async function parseBody(req: IncomingMessage): Promise<ParsedBody> {
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') {
    req.resume();
    return { kind: 'none' };
  }
  if (isMultipart(req)) {
    const raw = await readRaw(req, MULTIPART_LIMIT);
    return parseMultipart(raw, req.headers['content-type'] ?? '');
  }
  const raw = await readRaw(req, JSON_LIMIT);
  if (raw.length === 0) return { kind: 'none' };
  try {
    return { kind: 'json', value: JSON.parse(raw.toString('utf8')) };
  } catch {
    throw new ApiFailure(400, 'INVALID_REQUEST', 'Request body is not valid JSON', 'body');
  }
}

async function parseMultipart(raw: Buffer, contentType: string): Promise<MultipartBody> {
  let form: FormData;
  try {
    form = await new Request('http://sandbox.invalid/', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: raw,
    }).formData();
  } catch {
    throw new ApiFailure(400, 'INVALID_REQUEST', 'Malformed multipart/form-data body', 'body');
  }
  const out: MultipartBody = { kind: 'multipart', fields: {}, files: [] };
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      out.fields[field] = value;
    } else {
      const data = Buffer.from(await value.arrayBuffer());
      out.files.push({ field, name: value.name, size: data.length, type: value.type, data });
    }
  }
  return out;
}

/** What the request log shows of a body (files summarised, passwords masked). */
export function bodyForLog(body: ParsedBody): unknown {
  if (body.kind === 'none') return null;
  if (body.kind === 'multipart') {
    return {
      fields: body.fields,
      files: body.files.map(({ field, name, size, type }) => ({ field, name, size, type })),
    };
  }
  const v = body.value;
  if (v && typeof v === 'object' && !Array.isArray(v) && 'password' in v) {
    return { ...(v as Record<string, unknown>), password: '***' };
  }
  return v;
}
