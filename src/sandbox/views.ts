/** How stored records are shown by the API. */
import type { SandboxEnv } from './context.js';
import { round2 } from './ids.js';
import type { Store } from './store.js';
import type { AgentRecord, ConversationRecord, KbRecord } from './types.js';

export function paginate<T>(
  items: T[],
  page = 1,
  limit = 20,
): { rows: T[]; pagination: { total: number; page: number; pages: number; limit: number } } {
  const total = items.length;
  const pages = Math.max(1, Math.ceil(total / limit));
  return { rows: items.slice((page - 1) * limit, page * limit), pagination: { total, page, pages, limit } };
}

export function agentStats(store: Store, agentId: string) {
  const convs = store.conversationsOf(agentId).filter((c) => c.status !== 'ongoing');
  const ok = convs.filter((c) => c.status === 'success').length;
  const total = store.conversationsOf(agentId).length;
  return {
    total_calls: total,
    success_rate: convs.length ? round2(ok / convs.length) : 0,
    avg_duration: convs.length ? Math.round(convs.reduce((s, c) => s + c.duration, 0) / convs.length) : 0,
  };
}

export function agentSummary(store: Store, a: AgentRecord) {
  const { total_calls, success_rate } = agentStats(store, a.id);
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    status: a.status,
    industry: a.industry,
    created_at: a.created_at,
    stats: { total_calls, success_rate },
  };
}

export function agentDetails(store: Store, a: AgentRecord) {
  const kb = store.kbOf(a.id);
  const last =
    kb
      .map((k) => k.created_at)
      .sort()
      .at(-1) ?? null;
  const { stats: _summaryStats, ...summary } = agentSummary(store, a);
  return {
    ...summary,
    updated_at: a.updated_at,
    config: a.config,
    knowledge_base: { items: kb.length, last_updated: last },
    tools: [...a.tools],
    analytics: agentStats(store, a.id),
  };
}

export function kbView(k: KbRecord) {
  const out: Record<string, unknown> = {
    id: k.id,
    agent_id: k.agent_id,
    type: k.type,
    name: k.name,
    category: k.category ?? null,
    created_at: k.created_at,
  };
  if (k.url !== undefined) out.url = k.url;
  if (k.refresh_interval !== undefined) out.refresh_interval = k.refresh_interval;
  if (k.size !== undefined) out.size = k.size;
  if (k.mime_type !== undefined) out.mime_type = k.mime_type;
  return out;
}

export function conversationSummary(c: ConversationRecord) {
  return {
    id: c.id,
    agent_id: c.agent_id,
    phone_number: c.phone_number,
    duration: c.duration,
    status: c.status,
    started_at: c.started_at,
    ended_at: c.ended_at,
    sentiment: c.sentiment,
    summary: c.summary,
  };
}

export function conversationDetails(env: SandboxEnv, c: ConversationRecord) {
  return {
    ...conversationSummary(c),
    transcript: c.transcript.map((t) => ({ ...t })),
    metadata: {
      tools_used: [...c.metadata.tools_used],
      data_collected: { ...c.metadata.data_collected },
      intent: c.intent,
    },
    audio_url: c.status === 'ongoing' ? null : `${env.baseUrl}/api/conversations/${c.id}/audio`,
  };
}
