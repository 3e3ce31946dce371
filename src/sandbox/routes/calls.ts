import { MakeCallRequest } from '../../voisa/schemas/index.js';
import { jsonBody, type Route, type SandboxEnv } from '../context.js';
import { invalid, locked } from '../errors.js';
import { nowIso } from '../http.js';
import { answer } from '../retrieval.js';
import { FAILED_SCENARIO, scenariosFor } from '../scripts.js';
import { buildTranscript } from '../seed-conversations.js';
import { scoreText } from '../sentiment.js';
import type { Store } from '../store.js';
import type { AgentRecord, ConversationRecord } from '../types.js';
import { validate } from '../validate.js';
import { findAgent } from './agents.js';

/**
 * Ends a simulated call: the caller's lines come from an industry scenario, the
 * agent answers from its knowledge base where it can. Numbers ending in 0000
 * simulate an unreachable callee (status `failed`).
 */
function finishCall(env: SandboxEnv, store: Store, conv: ConversationRecord, agent: AgentRecord): void {
  if (!store.conversations.has(conv.id) || conv.status !== 'ongoing') return;
  const failed = conv.phone_number.endsWith('0000');
  const pool = scenariosFor(agent.industry);
  const scenario = failed
    ? FAILED_SCENARIO
    : (pool[Math.floor(Math.random() * pool.length)] ?? FAILED_SCENARIO);
  const kb = store.kbOf(agent.id);
  const tools = new Set(scenario.tools_used.filter((t) => agent.tools.includes(t)));
  const lines = scenario.lines.map((line, i) => {
    if (i % 2 === 0) return line; // the caller
    const user = scenario.lines[i - 1] ?? '';
    const a = answer(agent, kb, user);
    for (const t of a.tools_used) tools.add(t);
    return a.matched && a.confidence >= 0.6 ? a.response : line;
  });
  const first =
    (agent.config.conversation as { first_message?: string } | undefined)?.first_message ?? 'Hello!';
  const { transcript, duration } = buildTranscript(first, lines, Math.random);
  const userText = lines.filter((_, i) => i % 2 === 0).join(' ');
  conv.status = failed ? 'failed' : 'success';
  conv.transcript = transcript;
  conv.duration = failed ? Math.min(duration, 12) : duration;
  conv.ended_at = nowIso();
  conv.sentiment = failed ? 'neutral' : scoreText(userText).sentiment;
  conv.summary = scenario.summary;
  conv.intent = scenario.intent;
  conv.metadata = {
    tools_used: [...tools],
    data_collected: { ...scenario.data_collected, phone_number: conv.phone_number },
  };
  for (const tool of conv.metadata.tools_used) {
    env.webhooks.emit(store, 'tool.executed', {
      agent_id: agent.id,
      conversation_id: conv.id,
      tool,
      source: 'call',
    });
  }
  const data = {
    conversation_id: conv.id,
    ...callIdOf(env, conv),
    agent_id: agent.id,
    duration: conv.duration,
    status: conv.status,
  };
  if (failed) env.webhooks.emit(store, 'conversation.failed', { ...data, reason: 'no_answer' });
  env.webhooks.emit(store, 'conversation.ended', data);
}

/** `call_id` in webhook payloads is the sandbox's addition; the reference's payloads have none. */
function callIdOf(env: SandboxEnv, conv: ConversationRecord): { call_id?: string } {
  return env.referenceShape ? {} : { call_id: conv.call_id };
}

export const callRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/api/make-call',
    permission: 'write',
    handler(ctx) {
      const b = validate(MakeCallRequest, jsonBody(ctx));
      const agent = findAgent(ctx, b.agent_id);
      if (agent.status === 'training') throw locked(`Agent ${agent.id} is still training`, 'agent_id');
      if (agent.status !== 'active')
        throw invalid(`Agent ${agent.id} is inactive; activate it first`, 'agent_id');
      const first = (agent.config.conversation as { first_message?: string } | undefined)?.first_message;
      const conv: ConversationRecord = {
        id: ctx.store.newId('conv'),
        call_id: ctx.store.newId('call'),
        agent_id: agent.id,
        phone_number: b.phone_number,
        duration: 0,
        status: 'ongoing',
        started_at: nowIso(),
        ended_at: null,
        sentiment: null,
        summary: null,
        intent: 'unknown',
        transcript: first ? [{ speaker: 'agent', text: first, timestamp: '00:00:01' }] : [],
        metadata: { tools_used: [], data_collected: {} },
      };
      ctx.store.conversations.set(conv.id, conv);
      ctx.env.webhooks.emit(ctx.store, 'conversation.started', {
        conversation_id: conv.id,
        ...callIdOf(ctx.env, conv),
        agent_id: agent.id,
        phone_number: conv.phone_number,
        status: 'ongoing',
      });
      ctx.env.schedule(() => finishCall(ctx.env, ctx.store, conv, agent), ctx.env.callMs);
      const data = ctx.env.referenceShape
        ? { call_id: conv.call_id, status: 'initiated' }
        : { call_id: conv.call_id, status: 'initiated', conversation_id: conv.id, agent_id: agent.id };
      return {
        status: 201,
        data,
        message: 'Call initiated',
      };
    },
  },
];
