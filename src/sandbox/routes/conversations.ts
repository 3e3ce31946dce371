import { ListConversationsQuery } from '../../voisa/schemas/index.js';
import { parseBound } from '../analytics.js';
import { audioChunks, audioSize } from '../audio.js';
import { param, type Route, type RouteContext } from '../context.js';
import { locked, notFound } from '../errors.js';
import type { ConversationRecord } from '../types.js';
import { validate } from '../validate.js';
import { conversationDetails, conversationSummary, paginate } from '../views.js';

function findConversation(ctx: RouteContext): ConversationRecord {
  const id = param(ctx, 'conversation_id');
  const c = ctx.store.conversations.get(id);
  if (!c) throw notFound('Conversation', id, 'conversation_id');
  return c;
}

/** Writes the recording in chunks, yielding to the event loop between them. */
async function streamAudio(ctx: RouteContext, c: ConversationRecord): Promise<void> {
  const { res } = ctx;
  res.writeHead(200, {
    'content-type': 'audio/mpeg',
    'content-length': audioSize(c.duration),
    'content-disposition': `inline; filename="${c.id}.mp3"`,
  });
  for (const chunk of audioChunks(c.duration)) {
    if (res.destroyed) return;
    const ok = res.write(chunk);
    await new Promise<void>((resolve) => {
      if (ok) return setImmediate(resolve);
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  res.end();
}

export const conversationRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/api/conversations/list',
    permission: 'read',
    handler(ctx) {
      const q = validate(ListConversationsQuery, ctx.query);
      const from = parseBound(q.date_from, false);
      const to = parseBound(q.date_to, true);
      const list = [...ctx.store.conversations.values()]
        .filter((c) => !q.agent_id || c.agent_id === q.agent_id)
        .filter((c) => !q.status || c.status === q.status)
        .filter((c) => from === undefined || Date.parse(c.started_at) >= from)
        .filter((c) => to === undefined || Date.parse(c.started_at) <= to)
        .sort((a, b) => b.started_at.localeCompare(a.started_at) || a.id.localeCompare(b.id));
      const { rows, pagination } = paginate(list, q.page, q.limit);
      return { data: { conversations: rows.map(conversationSummary), pagination } };
    },
  },
  {
    method: 'GET',
    pattern: '/api/conversations/:conversation_id',
    permission: 'read',
    handler(ctx) {
      return { data: conversationDetails(ctx.env, findConversation(ctx)) };
    },
  },
  {
    method: 'GET',
    pattern: '/api/conversations/:conversation_id/audio',
    permission: 'read',
    async handler(ctx) {
      const c = findConversation(ctx);
      if (c.status === 'ongoing') {
        throw locked('The call is still ongoing; the recording is available when it ends', 'conversation_id');
      }
      await streamAudio(ctx, c);
      return 'handled' as const;
    },
  },
];
