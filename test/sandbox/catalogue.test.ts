import { describe, expect, it } from 'vitest';
import { api, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('MCP servers', () => {
  it('lists two servers with tool counts and their tools', async () => {
    const s = sandbox();
    const r = await api(s, 'GET', '/api/mcp-servers');
    expect(r.status).toBe(200);
    expect(r.json.data.servers).toHaveLength(2);
    const server = r.json.data.servers[0];
    expect(server).toMatchObject({
      id: expect.stringMatching(/^mcp_/),
      name: expect.any(String),
      status: 'connected',
    });
    const tools = await api(s, 'GET', `/api/mcp-servers/${server.id}/tools`);
    expect(tools.json.data.tools).toHaveLength(server.tools_count);
    expect(tools.json.data.tools[0]).toMatchObject({
      name: expect.any(String),
      description: expect.any(String),
      parameters: expect.any(Object),
    });
    const missing = await api(s, 'GET', '/api/mcp-servers/mcp_nope/tools');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 'RESOURCE_NOT_FOUND', field: 'server_id' });
  });
});

describe('voices', () => {
  it('lists ~6 voices in several languages', async () => {
    const r = await api(sandbox(), 'GET', '/api/voices/list');
    const voices = r.json.data.voices;
    expect(voices.length).toBeGreaterThanOrEqual(6);
    expect(new Set(voices.map((v: { language: string }) => v.language)).size).toBeGreaterThanOrEqual(4);
    expect(voices[0]).toMatchObject({
      id: expect.any(String),
      name: expect.any(String),
      gender: expect.any(String),
      preview_url: expect.any(String),
    });
  });

  it('creates a custom voice from several multipart audio samples', async () => {
    const s = sandbox();
    const form = new FormData();
    form.set('name', 'Custom Voice');
    form.set('description', 'Professional voice for medical practice');
    form.append(
      'audio_samples',
      new Blob([new Uint8Array([0xff, 0xfb, 0x18, 0xc4, 1, 2, 3])], { type: 'audio/mpeg' }),
      'a.mp3',
    );
    form.append('audio_samples', new Blob([new Uint8Array(2048)], { type: 'audio/wav' }), 'b.wav');
    const r = await api(s, 'POST', '/api/voice/create', form);
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({
      id: expect.stringMatching(/^voice_/),
      name: 'Custom Voice',
      samples_count: 2,
    });
    const list = await api(s, 'GET', '/api/voices/list');
    expect(list.json.data.voices.map((v: { id: string }) => v.id)).toContain(r.json.data.id);
    const entry = s.requests().find((e) => e.path === '/api/voice/create');
    expect(entry?.body).toMatchObject({
      fields: { name: 'Custom Voice' },
      files: [
        { field: 'audio_samples', name: 'a.mp3', size: 7, type: 'audio/mpeg' },
        { field: 'audio_samples', name: 'b.wav', size: 2048, type: 'audio/wav' },
      ],
    });
  });

  it('rejects a voice without samples, without a name, or with a non-audio sample', async () => {
    const s = sandbox();
    const noSamples = new FormData();
    noSamples.set('name', 'X');
    expect((await api(s, 'POST', '/api/voice/create', noSamples)).json.error.field).toBe('audio_samples');
    const noName = new FormData();
    noName.append('audio_samples', new Blob([new Uint8Array(10)], { type: 'audio/mpeg' }), 'a.mp3');
    expect((await api(s, 'POST', '/api/voice/create', noName)).json.error.field).toBe('name');
    const notAudio = new FormData();
    notAudio.set('name', 'X');
    notAudio.append('audio_samples', new Blob(['hello'], { type: 'text/plain' }), 'notes.txt');
    expect((await api(s, 'POST', '/api/voice/create', notAudio)).json.error.field).toBe('audio_samples.0');
  });
});

describe('sentiment-batch', () => {
  it('labels texts sensibly with scores in 0..1', async () => {
    const r = await api(sandbox(), 'POST', '/api/analytics/sentiment-batch', {
      texts: [
        'Great service, very helpful!',
        'Could be better',
        'Terrible experience',
        'The order number is 12345.',
      ],
    });
    expect(r.status).toBe(200);
    const results = r.json.data.results;
    expect(results.map((x: { sentiment: string }) => x.sentiment)).toEqual([
      'positive',
      'neutral',
      'negative',
      'neutral',
    ]);
    expect(results[0].text).toBe('Great service, very helpful!');
    for (const x of results) {
      expect(x.score).toBeGreaterThanOrEqual(0);
      expect(x.score).toBeLessThanOrEqual(1);
    }
    expect(results[0].score).toBeGreaterThan(results[1].score);
    expect(results[1].score).toBeGreaterThan(results[2].score);
  });

  it('validates the batch', async () => {
    const empty = await api(sandbox(), 'POST', '/api/analytics/sentiment-batch', { texts: [] });
    expect(empty.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'texts' });
    const notString = await api(sandbox(), 'POST', '/api/analytics/sentiment-batch', { texts: ['ok', 3] });
    expect(notString.json.error.field).toBe('texts.1');
  });
});
