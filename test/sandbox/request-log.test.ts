/**
 * The sandbox's request log holds the status a client got as soon as the client has the answer,
 * even for a streamed body (tests read it right after their call returns).
 */
import { describe, expect, it } from 'vitest';
import { useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox();

describe('the request log', () => {
  it('has the status of a streamed download once the client has read the whole body', async () => {
    const s = sandbox();
    const path = '/api/conversations/conv_seed0001/audio';
    const res = await fetch(`${s.baseUrl}${path}`, { headers: { authorization: `Bearer ${s.demoKey}` } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(s.requests().at(-1)).toMatchObject({ method: 'GET', path, status: 200 });
  });

  it('has the status of an error answer', async () => {
    const s = sandbox();
    const path = '/api/conversations/conv_nope/audio';
    const res = await fetch(`${s.baseUrl}${path}`, { headers: { authorization: `Bearer ${s.demoKey}` } });
    expect(res.status).toBe(404);
    await res.arrayBuffer();
    expect(s.requests().at(-1)).toMatchObject({ method: 'GET', path, status: 404 });
  });
});
