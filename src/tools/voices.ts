import { z } from 'zod';
import { CreateVoiceFields, Voice, VoiceList } from '../voisa/index.js';
import { defineTool, READ_ONLY } from './define.js';
import { FileInputObject, loadFile } from './input.js';

export const listVoices = defineTool({
  name: 'list_voices',
  title: 'List voices',
  toolset: 'voices',
  description: 'Voices an agent can use (id, language, gender); set one with config.voice.voice_id.',
  annotations: READ_ONLY,
  input: {},
  output: VoiceList,
  run: (_args, { api, req }) => api.voices.list(req),
});

export const createVoice = defineTool({
  name: 'create_voice',
  title: 'Create custom voice',
  toolset: 'voices',
  description: 'Clone a custom voice from audio samples (local files or base64).',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  input: {
    name: CreateVoiceFields.shape.name.describe('Voice name'),
    description: CreateVoiceFields.shape.description,
    audio_samples: z
      .array(FileInputObject.describe('One audio file'))
      .min(1)
      .max(10)
      .describe('Audio samples'),
  },
  output: Voice,
  async run({ name, description, audio_samples }, ctx) {
    const samples = [];
    for (const [i, sample] of audio_samples.entries())
      samples.push(await loadFile(sample, ctx, `audio_samples[${i}]`));
    return ctx.api.voices.create({ name, description, audio_samples: samples }, ctx.req);
  },
});

export const voiceTools = [listVoices, createVoice];
