/** Streamed audio with its byte cap, and multipart uploads (fields, files, progress, retry). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sandbox } from '../../src/sandbox/index.js';
import {
  NotFoundError,
  ResourceLockedError,
  ResponseTooLargeError,
  VoisaClient,
} from '../../src/voisa/index.js';
import { caught, clientFor, lastRequest, sandbox } from './harness.js';

let sb: Sandbox;
let api: VoisaClient;
let agentId: string;
let conversationId: string;

beforeAll(async () => {
  sb = await sandbox({ callMs: 60_000 });
  api = clientFor(sb);
  agentId = (await api.agents.list({ status: 'active' })).agents[0]!.id;
  conversationId = (await api.conversations.list({ status: 'success' })).conversations[0]!.id;
});
afterAll(async () => {
  await api.close();
  await sb.close();
});
beforeEach(() => {
  sb.clearFaults();
  sb.clearRequests();
});

const MP3_FRAME_SYNC = [0xff, 0xfb];

describe('conversation audio', () => {
  it('streams the recording with its content type and length', async () => {
    const audio = await api.conversations.audio(conversationId);
    expect(audio.contentType).toBe('audio/mpeg');
    expect(audio.contentLength).toBeGreaterThan(0);
    let size = 0;
    let chunks = 0;
    let first: Uint8Array | undefined;
    for await (const chunk of audio.body) {
      first ??= chunk;
      size += chunk.byteLength;
      chunks++;
    }
    expect(size).toBe(audio.contentLength);
    expect(chunks).toBeGreaterThan(1);
    expect([...first!.subarray(0, 2)]).toEqual(MP3_FRAME_SYNC);
    expect(lastRequest(sb)).toMatchObject({
      method: 'GET',
      path: `/api/conversations/${conversationId}/audio`,
    });
  });

  it('audioBuffer reads it all under the cap', async () => {
    const { contentType, data } = await api.conversations.audioBuffer(conversationId);
    expect(contentType).toBe('audio/mpeg');
    expect(data.length).toBeGreaterThan(1_000);
    expect([...data.subarray(0, 2)]).toEqual(MP3_FRAME_SYNC);
  });

  it('audioBuffer past maxBytes -> ResponseTooLargeError, download cancelled', async () => {
    const err = await caught(() => api.conversations.audioBuffer(conversationId, { maxBytes: 1_000 }));
    expect(err).toBeInstanceOf(ResponseTooLargeError);
    expect(err).toMatchObject({ kind: 'response_too_large', limitBytes: 1_000 });
  });

  it('the cap also holds while streaming a body of unknown length; the download stops', async () => {
    const slow = await slowAudioServer();
    const client = new VoisaClient({ baseUrl: slow.baseUrl, apiKey: 'k', rateLimitPerMin: 0 });
    try {
      const err = await caught(() => client.conversations.audioBuffer('conv_1', { maxBytes: 40 * 1024 }));
      expect(err).toBeInstanceOf(ResponseTooLargeError);
      await vi.waitFor(() => expect(slow.closedEarly()).toBe(true));
      expect(slow.written()).toBeLessThan(slow.totalChunks);
    } finally {
      await client.close();
      await slow.close();
    }
  });

  it('error answers of the audio endpoint map like any other', async () => {
    await expect(api.conversations.audio('conv_missing')).rejects.toBeInstanceOf(NotFoundError);
    const { conversation_id } = await api.calls.make({ agent_id: agentId, phone_number: '+49123456789' });
    expect(conversation_id).toEqual(expect.any(String));
    // The call is still ongoing (callMs: 60 s): its recording is locked.
    await expect(api.conversations.audioBuffer(conversation_id!)).rejects.toBeInstanceOf(ResourceLockedError);
  });

  it('cancel() stops a stream part-way', async () => {
    const slow = await slowAudioServer();
    const client = new VoisaClient({ baseUrl: slow.baseUrl, apiKey: 'k', rateLimitPerMin: 0 });
    try {
      const audio = await client.conversations.audio('conv_1');
      expect(audio.contentType).toBe('audio/wav');
      expect(audio.contentLength).toBeUndefined();
      for await (const _chunk of audio.body) break; // leaving the loop cancels too
      audio.cancel(); // and a second cancel is harmless
      await vi.waitFor(() => expect(slow.closedEarly()).toBe(true));
      expect(slow.written()).toBeLessThan(slow.totalChunks);
    } finally {
      await client.close();
      await slow.close();
    }
  });
});

/** A server that trickles 64 chunks of 16 KiB of "audio" without content-length, and tells whether the client hung up. */
async function slowAudioServer() {
  const totalChunks = 64;
  const chunk = Buffer.alloc(16 * 1024, 1);
  let written = 0;
  let closedEarly = false;
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    const timer = setInterval(() => {
      if (written >= totalChunks) {
        clearInterval(timer);
        res.end();
        return;
      }
      written++;
      res.write(chunk);
    }, 2);
    res.on('close', () => {
      clearInterval(timer);
      closedEarly = !res.writableFinished;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    totalChunks,
    written: () => written,
    closedEarly: () => closedEarly,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('multipart uploads', () => {
  const fileOf = (size: number, name: string, contentType: string) => ({
    name,
    contentType,
    data: new Uint8Array(size).fill(97), // 'a'
  });

  it('knowledge-base file: fields and file arrive; progress counts the real bytes', async () => {
    const file = fileOf(200_000, 'menu.txt', 'text/plain');
    const progress: [number, number][] = [];
    const item = await api.knowledgeBase.uploadFile(
      { agent_id: agentId, category: 'policies', file },
      { onUploadProgress: (sent, total) => progress.push([sent, total]) },
    );
    expect(item).toMatchObject({ agent_id: agentId, type: 'document', name: 'menu.txt' });
    expect(lastRequest(sb)).toMatchObject({
      method: 'POST',
      path: '/api/knowledge-base/file',
      body: {
        fields: { agent_id: agentId, category: 'policies' },
        files: [{ field: 'file', name: 'menu.txt', size: 200_000, type: 'text/plain' }],
      },
    });
    const total = progress[0]![1];
    expect(total).toBeGreaterThan(200_000);
    expect(progress[0]).toEqual([0, total]);
    expect(progress.at(-1)).toEqual([total, total]);
    expect(progress.length).toBeGreaterThan(3); // 200 kB in 64 KiB chunks
    const sent = progress.map(([s]) => s);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
  });

  it('an optional field left out is not sent', async () => {
    await api.knowledgeBase.uploadFile({ agent_id: agentId, file: fileOf(10, 'a.txt', 'text/plain') });
    expect((lastRequest(sb).body as { fields: Record<string, string> }).fields).toEqual({
      agent_id: agentId,
    });
  });

  it('voice creation sends name, description and every audio sample', async () => {
    const voice = await api.voices.create({
      name: 'Custom Voice',
      description: 'Professional voice',
      audio_samples: [fileOf(3_000, 'one.mp3', 'audio/mpeg'), fileOf(5_000, 'two.wav', 'audio/wav')],
    });
    expect(voice).toMatchObject({ id: expect.any(String), name: 'Custom Voice' });
    expect(lastRequest(sb)).toMatchObject({
      method: 'POST',
      path: '/api/voice/create',
      body: {
        fields: { name: 'Custom Voice', description: 'Professional voice' },
        files: [
          { field: 'audio_samples', name: 'one.mp3', size: 3_000, type: 'audio/mpeg' },
          { field: 'audio_samples', name: 'two.wav', size: 5_000, type: 'audio/wav' },
        ],
      },
    });
  });

  it('a multipart upload answered 429 is not sent again (it creates an item)', async () => {
    sb.injectFault({ method: 'POST', path: '/api/knowledge-base/file', status: 429, retryAfter: '0' });
    const file = fileOf(100_000, 'retry.txt', 'text/plain');
    await expect(api.knowledgeBase.uploadFile({ agent_id: agentId, file })).rejects.toMatchObject({
      kind: 'rate_limit',
    });
    const uploads = sb.requests().filter((r) => r.path === '/api/knowledge-base/file');
    expect(uploads.map((r) => r.status)).toEqual([429]);
    expect(uploads[0]?.body).toMatchObject({ files: [{ name: 'retry.txt', size: 100_000 }] });
  });
});
