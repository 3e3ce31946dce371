import {
  AssignToolsRequest,
  ChatRequest,
  CreateAgentRequest,
  ListAgentsQuery,
  UpdateAgentRequest,
} from '../../voisa/schemas/index.js';
import { jsonBody, param, type Route, type RouteContext, type SandboxEnv } from '../context.js';
import { agentNotFound, invalid, locked } from '../errors.js';
import { nowIso } from '../http.js';
import { answer } from '../retrieval.js';
import type { Store } from '../store.js';
import type { AgentRecord } from '../types.js';
import { validate } from '../validate.js';
import { agentDetails, agentSummary, paginate } from '../views.js';

export function findAgent(ctx: RouteContext, id: string, field = 'agent_id'): AgentRecord {
  const a = ctx.store.agents.get(id);
  if (!a) throw agentNotFound(id, field);
  return a;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep merge used by update: objects merge, everything else replaces. */
export function deepMerge(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Obj, v) : v;
  }
  return out;
}

function defaultConfig(name: string): Obj {
  return {
    voice: {
      provider: 'elevenlabs',
      voice_id: 'voice_en_f_sarah',
      settings: { stability: 0.75, speed: 1.0 },
    },
    conversation: {
      first_message: `Hello, this is ${name}. How can I help you?`,
      system_prompt: `You are ${name}, a helpful phone assistant.`,
      model: 'gpt-4o',
      temperature: 0.5,
    },
    turn_detection: { mode: 'silence', timeout: 7, end_call_on_silence: 60 },
    privacy: { retention_days: 30, zero_retention: false, delete_audio: false },
  };
}

/** Training finishes after `trainingMs`: the agent turns active and `agent.updated` fires. */
function scheduleTraining(env: SandboxEnv, store: Store, id: string): void {
  env.schedule(() => {
    const a = store.agents.get(id);
    if (a?.status !== 'training') return;
    a.status = 'active';
    a.updated_at = nowIso();
    env.webhooks.emit(store, 'agent.updated', { agent_id: id, status: 'active', changes: ['status'] });
  }, env.trainingMs);
}

export const agentRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/api/agents/list',
    permission: 'read',
    handler(ctx) {
      const q = validate(ListAgentsQuery, ctx.query);
      const industry = q.industry?.toLowerCase();
      const agents = [...ctx.store.agents.values()]
        .filter((a) => !q.status || a.status === q.status)
        .filter((a) => !industry || a.industry?.toLowerCase() === industry)
        .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.id.localeCompare(b.id));
      const { rows, pagination } = paginate(agents, q.page, q.limit);
      return { data: { agents: rows.map((a) => agentSummary(ctx.store, a)), pagination } };
    },
  },
  {
    method: 'POST',
    pattern: '/api/agents/create',
    permission: 'write',
    handler(ctx) {
      const b = validate(CreateAgentRequest, jsonBody(ctx));
      const voiceId = b.config?.voice?.voice_id;
      if (voiceId && !ctx.store.voices.has(voiceId)) {
        throw invalid(`Unknown voice ${voiceId}`, 'config.voice.voice_id');
      }
      const now = nowIso();
      const agent: AgentRecord = {
        id: ctx.store.newId('agt'),
        name: b.name,
        description: b.description,
        status: 'training',
        industry: b.industry,
        created_at: now,
        updated_at: now,
        config: deepMerge(defaultConfig(b.name), (b.config ?? {}) as Obj),
        tools: [],
      };
      ctx.store.agents.set(agent.id, agent);
      scheduleTraining(ctx.env, ctx.store, agent.id);
      ctx.env.webhooks.emit(ctx.store, 'agent.created', {
        agent_id: agent.id,
        name: agent.name,
        status: agent.status,
      });
      return {
        status: 201,
        data: { id: agent.id, name: agent.name, status: agent.status, created_at: agent.created_at },
        message: 'Agent created; training started',
      };
    },
  },
  {
    method: 'GET',
    pattern: '/api/agents/:agent_id',
    permission: 'read',
    handler(ctx) {
      return { data: agentDetails(ctx.store, findAgent(ctx, param(ctx, 'agent_id'))) };
    },
  },
  {
    method: 'PUT',
    pattern: '/api/agents/:agent_id/update',
    permission: 'write',
    handler(ctx) {
      const agent = findAgent(ctx, param(ctx, 'agent_id'));
      const b = validate(UpdateAgentRequest, jsonBody(ctx));
      if (agent.status === 'training') {
        throw locked(`Agent ${agent.id} is still training; retry in a few seconds`, 'agent_id');
      }
      const voiceId = b.config?.voice?.voice_id;
      if (voiceId && !ctx.store.voices.has(voiceId)) {
        throw invalid(`Unknown voice ${voiceId}`, 'config.voice.voice_id');
      }
      const changes = Object.keys(b).filter((k) => (b as Obj)[k] !== undefined);
      if (b.name !== undefined) agent.name = b.name;
      if (b.description !== undefined) agent.description = b.description;
      if (b.industry !== undefined) agent.industry = b.industry;
      if (b.status !== undefined) agent.status = b.status;
      if (b.config) agent.config = deepMerge(agent.config, b.config as Obj);
      agent.updated_at = nowIso();
      ctx.env.webhooks.emit(ctx.store, 'agent.updated', {
        agent_id: agent.id,
        status: agent.status,
        changes,
      });
      return { data: agentDetails(ctx.store, agent), message: 'Agent updated successfully' };
    },
  },
  {
    method: 'DELETE',
    pattern: '/api/agents/:agent_id',
    permission: 'delete',
    handler(ctx) {
      const agent = findAgent(ctx, param(ctx, 'agent_id'));
      const { store } = ctx;
      store.agents.delete(agent.id);
      for (const k of store.kbOf(agent.id)) store.kb.delete(k.id);
      return { message: 'Agent deleted successfully' };
    },
  },
  {
    method: 'POST',
    pattern: '/api/agents/:agent_id/chat',
    permission: 'write',
    handler(ctx) {
      const agent = findAgent(ctx, param(ctx, 'agent_id'));
      const b = validate(ChatRequest, jsonBody(ctx));
      const { store } = ctx;
      let session = b.session_id ? store.sessions.get(b.session_id) : undefined;
      if (!session) {
        session = { id: b.session_id ?? ctx.store.newId('sess', 12), agent_id: agent.id, turns: [] };
        store.sessions.set(session.id, session);
      }
      const a = answer(agent, store.kbOf(agent.id), b.message);
      session.turns.push({ role: 'user', text: b.message }, { role: 'agent', text: a.response });
      for (const tool of a.tools_used) {
        ctx.env.webhooks.emit(ctx.store, 'tool.executed', {
          agent_id: agent.id,
          session_id: session.id,
          tool,
          source: 'chat',
        });
      }
      return {
        data: {
          response: a.response,
          session_id: session.id,
          tools_used: a.tools_used,
          confidence: a.confidence,
          turn: session.turns.length / 2,
        },
      };
    },
  },
  {
    method: 'POST',
    pattern: '/api/agents/:agent_id/assign-tools',
    permission: 'write',
    handler(ctx) {
      const agent = findAgent(ctx, param(ctx, 'agent_id'));
      const b = validate(AssignToolsRequest, jsonBody(ctx));
      const known = ctx.store.toolNames();
      b.tools.forEach((t, i) => {
        if (!known.has(t))
          throw invalid(`Unknown tool ${t}: not offered by any connected MCP server`, `tools.${i}`);
      });
      agent.tools = [...new Set(b.tools)];
      agent.updated_at = nowIso();
      ctx.env.webhooks.emit(ctx.store, 'agent.updated', {
        agent_id: agent.id,
        status: agent.status,
        changes: ['tools'],
      });
      return { data: { agent_id: agent.id, tools: [...agent.tools] }, message: 'Tools assigned' };
    },
  },
];
