import {
  AddKbTextRequest,
  AddKbUrlRequest,
  ListKbQuery,
  UploadKbFileFields,
} from '../../voisa/schemas/index.js';
import { jsonBody, param, type Route, type RouteContext } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { nowIso } from '../http.js';
import type { KbRecord } from '../types.js';
import { validate } from '../validate.js';
import { kbView } from '../views.js';
import { findAgent } from './agents.js';

const TEXT_TYPES = /^(text\/|application\/(json|xml|x-ndjson|csv))/;
const TEXT_EXT = /\.(txt|md|markdown|csv|json|html?|xml)$/i;

function add(ctx: RouteContext, item: Omit<KbRecord, 'id' | 'created_at'>) {
  const rec: KbRecord = { id: ctx.store.newId('kb'), created_at: nowIso(), ...item };
  ctx.store.kb.set(rec.id, rec);
  return { status: 201, data: kbView(rec), message: 'Knowledge item added' };
}

/** Text we can "index" from an upload: text files as is, printable runs of binaries (e.g. PDFs). */
function extractText(data: Buffer, type: string, name: string): string {
  if (TEXT_TYPES.test(type) || TEXT_EXT.test(name)) return data.toString('utf8');
  const runs = data.toString('latin1').match(/[A-Za-z0-9 ,.;:!?'"()€$%-]{24,}/g) ?? [];
  return runs.join('. ');
}

export const kbRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/api/knowledge-base/list',
    permission: 'read',
    handler(ctx) {
      const q = validate(ListKbQuery, ctx.query);
      const items = [...ctx.store.kb.values()]
        .filter((k) => !q.agent_id || k.agent_id === q.agent_id)
        .filter((k) => !q.type || k.type === q.type)
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
      return { data: { items: items.map(kbView), total: items.length } };
    },
  },
  {
    method: 'POST',
    pattern: '/api/knowledge-base/text',
    permission: 'write',
    handler(ctx) {
      const b = validate(AddKbTextRequest, jsonBody(ctx));
      findAgent(ctx, b.agent_id);
      return add(ctx, {
        agent_id: b.agent_id,
        type: 'text',
        name: b.title,
        category: b.category,
        content: b.content,
      });
    },
  },
  {
    method: 'POST',
    pattern: '/api/knowledge-base/url',
    permission: 'write',
    handler(ctx) {
      const b = validate(AddKbUrlRequest, jsonBody(ctx));
      findAgent(ctx, b.agent_id);
      const u = new URL(b.url);
      return add(ctx, {
        agent_id: b.agent_id,
        type: 'url',
        name: b.url,
        content: `This page (${u.hostname}${u.pathname}) was crawled for the agent.`,
        url: b.url,
        refresh_interval: b.refresh_interval ?? 86400,
      });
    },
  },
  {
    method: 'POST',
    pattern: '/api/knowledge-base/file',
    permission: 'write',
    handler(ctx) {
      if (ctx.body.kind !== 'multipart') throw invalid('Expected multipart/form-data with a file', 'file');
      const fields = validate(UploadKbFileFields, ctx.body.fields);
      const file = ctx.body.files.find((f) => f.field === 'file');
      if (!file) throw invalid('file is required', 'file');
      if (file.size === 0) throw invalid('file is empty', 'file');
      findAgent(ctx, fields.agent_id);
      return add(ctx, {
        agent_id: fields.agent_id,
        type: 'document',
        name: file.name || 'upload',
        category: fields.category,
        content: extractText(file.data, file.type, file.name),
        size: file.size,
        mime_type: file.type || 'application/octet-stream',
      });
    },
  },
  {
    method: 'DELETE',
    pattern: '/api/knowledge-base/:item_id',
    permission: 'delete',
    handler(ctx) {
      const id = param(ctx, 'item_id');
      if (!ctx.store.kb.delete(id)) throw notFound('Knowledge item', id, 'item_id');
      return { message: 'Knowledge item deleted successfully' };
    },
  },
];
