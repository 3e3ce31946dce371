/** MCP servers, analytics, voices and webhooks. */
import {
  AnalyticsQuery,
  ConfigureWebhookRequest,
  CreateVoiceFields,
  SentimentBatchRequest,
} from '../../voisa/schemas/index.js';
import { computeAnalytics } from '../analytics.js';
import { jsonBody, param, type Route } from '../context.js';
import { invalid, notFound } from '../errors.js';
import { nowIso } from '../http.js';
import { scoreText } from '../sentiment.js';
import type { VoiceRecord, WebhookRecord } from '../types.js';
import { validate } from '../validate.js';
import { findAgent } from './agents.js';

const AUDIO_EXT = /\.(mp3|wav|m4a|ogg|oga|flac|webm|aac)$/i;
const MAX_SAMPLES = 25;

export const miscRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/api/mcp-servers',
    permission: 'read',
    handler(ctx) {
      const servers = [...ctx.store.mcpServers.values()].map((s) => ({
        id: s.id,
        name: s.name,
        url: s.url,
        status: s.status,
        tools_count: s.tools.length,
      }));
      return { data: { servers } };
    },
  },
  {
    method: 'GET',
    pattern: '/api/mcp-servers/:server_id/tools',
    permission: 'read',
    handler(ctx) {
      const id = param(ctx, 'server_id');
      const s = ctx.store.mcpServers.get(id);
      if (!s) throw notFound('MCP server', id, 'server_id');
      return {
        data: { server_id: s.id, tools: s.tools.map((t) => ({ ...t, parameters: { ...t.parameters } })) },
      };
    },
  },
  {
    method: 'GET',
    pattern: '/api/analytics/agent/:agent_id',
    permission: 'read',
    handler(ctx) {
      const agent = findAgent(ctx, param(ctx, 'agent_id'));
      const q = validate(AnalyticsQuery, ctx.query);
      return {
        data: { agent_id: agent.id, ...computeAnalytics(ctx.store.conversationsOf(agent.id), q) },
      };
    },
  },
  {
    method: 'POST',
    pattern: '/api/analytics/sentiment-batch',
    permission: 'read',
    handler(ctx) {
      const b = validate(SentimentBatchRequest, jsonBody(ctx));
      return { data: { results: b.texts.map((text) => ({ text, ...scoreText(text) })) } };
    },
  },
  {
    method: 'GET',
    pattern: '/api/voices/list',
    permission: 'read',
    handler(ctx) {
      const voices = [...ctx.store.voices.values()].map(({ samples: _s, ...v }) => v);
      return { data: { voices } };
    },
  },
  {
    method: 'POST',
    pattern: '/api/voice/create',
    permission: 'write',
    handler(ctx) {
      if (ctx.body.kind !== 'multipart') {
        throw invalid('Expected multipart/form-data with audio_samples', 'audio_samples');
      }
      const fields = validate(CreateVoiceFields, ctx.body.fields);
      const samples = ctx.body.files.filter((f) => f.field === 'audio_samples');
      if (samples.length === 0) throw invalid('At least one audio sample is required', 'audio_samples');
      if (samples.length > MAX_SAMPLES) throw invalid(`At most ${MAX_SAMPLES} samples`, 'audio_samples');
      samples.forEach((s, i) => {
        if (s.size === 0) throw invalid(`Sample ${s.name} is empty`, `audio_samples.${i}`);
        if (!s.type.startsWith('audio/') && !AUDIO_EXT.test(s.name)) {
          throw invalid(`Sample ${s.name} is not an audio file`, `audio_samples.${i}`);
        }
      });
      const id = ctx.store.newId('voice');
      const extra = ctx.body.fields;
      const voice: VoiceRecord = {
        id,
        name: fields.name,
        description: fields.description,
        language: extra.language || 'en-US',
        gender: extra.gender || 'neutral',
        preview_url: `https://storage.voisa.ai/voices/${id}/preview.mp3`,
        custom: true,
        created_at: nowIso(),
        samples: samples.map(({ name, size, type }) => ({ name, size, type })),
      };
      ctx.store.voices.set(id, voice);
      const { samples: stored, ...view } = voice;
      return {
        status: 201,
        data: { ...view, samples_count: stored?.length ?? 0, status: 'ready' },
        message: 'Voice created',
      };
    },
  },
  {
    method: 'POST',
    pattern: '/api/webhooks',
    permission: 'write',
    handler(ctx) {
      const b = validate(ConfigureWebhookRequest, jsonBody(ctx));
      const hook: WebhookRecord = {
        id: ctx.store.newId('wh'),
        url: b.url,
        events: [...new Set(b.events)],
        secret: b.secret,
        created_at: nowIso(),
      };
      ctx.store.webhooks.set(hook.id, hook);
      return {
        status: 201,
        data: {
          id: hook.id,
          url: hook.url,
          events: hook.events,
          signed: Boolean(hook.secret),
          created_at: hook.created_at,
        },
        message: 'Webhook configured',
      };
    },
  },
];
