import { describe, expect, it } from 'vitest';
import { SEED_AGENTS } from '../../src/sandbox/index.js';
import { api, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('knowledge base', () => {
  it('lists seeded items of all three types, filtered by agent and type', async () => {
    const s = sandbox();
    const all = await api(s, 'GET', '/api/knowledge-base/list');
    expect(all.status).toBe(200);
    const types = new Set(all.json.data.items.map((i: { type: string }) => i.type));
    expect([...types].sort()).toEqual(['document', 'text', 'url']);
    const mine = await api(s, 'GET', `/api/knowledge-base/list?agent_id=${SEED_AGENTS.restaurant}&type=url`);
    expect(mine.json.data.items).toHaveLength(1);
    expect(mine.json.data.items[0]).toMatchObject({
      agent_id: SEED_AGENTS.restaurant,
      type: 'url',
      id: expect.any(String),
    });
    const bad = await api(s, 'GET', '/api/knowledge-base/list?type=video');
    expect(bad.json.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'type' });
  });

  it('adds text (201), stores agent_id and validates', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/knowledge-base/text', {
      agent_id: SEED_AGENTS.retail,
      title: 'Business Hours',
      content: 'We are open Monday-Friday 9am-6pm',
      category: 'general',
    });
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({
      agent_id: SEED_AGENTS.retail,
      type: 'text',
      name: 'Business Hours',
      category: 'general',
    });
    const missing = await api(s, 'POST', '/api/knowledge-base/text', {
      agent_id: SEED_AGENTS.retail,
      title: 'x',
    });
    expect(missing.status).toBe(400);
    expect(missing.json.error.field).toBe('content');
    const unknown = await api(s, 'POST', '/api/knowledge-base/text', {
      agent_id: 'agt_nope',
      title: 'x',
      content: 'y',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'AGENT_NOT_FOUND', field: 'agent_id' });
  });

  it('adds a URL', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/knowledge-base/url', {
      agent_id: SEED_AGENTS.retail,
      url: 'https://example.com/about',
      refresh_interval: 86400,
    });
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({
      type: 'url',
      url: 'https://example.com/about',
      refresh_interval: 86400,
    });
    const bad = await api(s, 'POST', '/api/knowledge-base/url', {
      agent_id: SEED_AGENTS.retail,
      url: 'ftp://x.org',
    });
    expect(bad.json.error.field).toBe('url');
  });

  it('uploads a document as multipart and the agent answers from it', async () => {
    const s = sandbox();
    const form = new FormData();
    form.set('agent_id', SEED_AGENTS.realEstate);
    form.set('category', 'policies');
    form.set(
      'file',
      new Blob(['Pets are welcome in all our rental apartments. A pet deposit of 300 euros applies.'], {
        type: 'text/plain',
      }),
      'pets.txt',
    );
    const r = await api(s, 'POST', '/api/knowledge-base/file', form);
    expect(r.status).toBe(201);
    expect(r.json.data).toMatchObject({
      type: 'document',
      name: 'pets.txt',
      category: 'policies',
      agent_id: SEED_AGENTS.realEstate,
    });
    const log = s.requests().at(-1);
    expect(log?.body).toEqual({
      fields: { agent_id: SEED_AGENTS.realEstate, category: 'policies' },
      files: [{ field: 'file', name: 'pets.txt', size: expect.any(Number), type: 'text/plain' }],
    });
    const chat = await api(s, 'POST', `/api/agents/${SEED_AGENTS.realEstate}/chat`, {
      message: 'Are pets allowed, is there a deposit?',
    });
    expect(chat.json.data.response).toContain('pet deposit');

    const noFile = new FormData();
    noFile.set('agent_id', SEED_AGENTS.realEstate);
    const nf = await api(s, 'POST', '/api/knowledge-base/file', noFile);
    expect(nf.status).toBe(400);
    expect(nf.json.error.field).toBe('file');
    const json = await api(s, 'POST', '/api/knowledge-base/file', { agent_id: SEED_AGENTS.realEstate });
    expect(json.status).toBe(400);
  });

  it('rejects uploads over 25 MiB with 413 PAYLOAD_TOO_LARGE', async () => {
    const form = new FormData();
    form.set('agent_id', SEED_AGENTS.retail);
    form.set(
      'file',
      new Blob([new Uint8Array(25 * 1024 * 1024 + 1)], { type: 'application/pdf' }),
      'huge.pdf',
    );
    const r = await api(sandbox(), 'POST', '/api/knowledge-base/file', form);
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('deletes an item and 404s on unknown ids', async () => {
    const s = sandbox();
    const r = await api(s, 'POST', '/api/knowledge-base/text', {
      agent_id: SEED_AGENTS.retail,
      title: 't',
      content: 'c',
    });
    const id = r.json.data.id;
    const del = await api(s, 'DELETE', `/api/knowledge-base/${id}`);
    expect(del.status).toBe(200);
    expect(del.json.success).toBe(true);
    const again = await api(s, 'DELETE', `/api/knowledge-base/${id}`);
    expect(again.status).toBe(404);
    expect(again.json.error).toMatchObject({ code: 'RESOURCE_NOT_FOUND', field: 'item_id' });
  });
});
