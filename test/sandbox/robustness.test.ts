import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../src/sandbox/routes/index.js';
import { api, useSandbox } from '../helpers/sandbox.js';

const sandbox = useSandbox({ rateLimitPerMin: 0 });

describe('robustness', () => {
  it('answers every route with an envelope and never a 500 on odd bodies', async () => {
    const s = sandbox();
    const bodies: unknown[] = [
      undefined,
      null,
      [],
      'text',
      42,
      {},
      { agent_id: 123, texts: 'x', tools: [null] },
    ];
    for (const route of ROUTES) {
      const path = route.pattern.replace(/:[a-z_]+/g, 'x%2F..%2Fy');
      for (const body of route.method === 'GET' ? [undefined] : bodies) {
        const r = await api(s, route.method, path, body);
        expect(r.status, `${route.method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
        expect(r.headers.get('x-request-id')).toBeTruthy();
        if (r.headers.get('content-type')?.includes('json')) expect(typeof r.json.success).toBe('boolean');
      }
    }
  });

  it('answers a broken multipart body with INVALID_REQUEST', async () => {
    const s = sandbox();
    const res = await fetch(`${s.baseUrl}/api/voice/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${s.demoKey}`, 'content-type': 'multipart/form-data; boundary=zzz' },
      body: '--zzz\r\nContent-Disposition: form-data; name="name"\r\n\r\nunterminated',
    });
    expect(res.status).toBe(400);
  });

  it('survives garbage on the socket', async () => {
    const s = sandbox();
    const { port } = new URL(s.url);
    await new Promise<void>((resolve) => {
      const sock = connect(Number(port), '127.0.0.1', () => sock.write('\x00\x01 NOT HTTP \r\n\r\n'));
      sock.on('data', () => undefined);
      sock.on('close', () => resolve());
      sock.on('error', () => resolve());
    });
    expect((await api(s, 'GET', '/api/verify')).status).toBe(200);
  });
});
