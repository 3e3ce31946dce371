/**
 * The shipped deploy/nginx/voisa-mcp.conf, run by Debian's nginx in front of three loopback echo
 * servers that stand in for voisa-mcp instances (each answers its own name): requests without a
 * session go round-robin; a session id routes by the instance id it ends in (`--instance-id`), for
 * /mcp and for the old transport's /messages; SSE passes unbuffered; a body the server accepts passes
 * and a larger one is refused by nginx; a dead instance is skipped, POSTs included, while a POST that
 * reached an instance is never sent twice; /metrics and /readyz stay per instance (nginx answers 404).
 * test/scale/cluster.test.ts runs the same file in front of real instances.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  mustStartNginx,
  NGINX_BIN,
  type RunningNginx,
  renderVoisaConf,
  requireNginx,
  SHIPPED_NGINX_CONF,
  testNginxConf,
} from '../helpers/nginx.js';

/** One stand-in instance: answers its name as JSON, or an SSE stream for a GET asking for one. */
interface Echo {
  name: string;
  port: number;
  /** `x-test-mark` headers of the requests it received. */
  marks: string[];
  /** SSE responses still open. */
  streams: Set<ServerResponse>;
  stop(): Promise<void>;
}

interface Answer {
  name: string;
  method: string;
  url: string;
  bytes: number;
}

async function startEcho(name: string): Promise<Echo> {
  const echo: Echo = { name, port: 0, marks: [], streams: new Set(), stop: async () => {} };
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    const mark = req.headers['x-test-mark'];
    if (typeof mark === 'string') echo.marks.push(mark);
    // The instance dies with the request in hand: no answer at all.
    if (req.headers['x-test-drop'] === name) {
      req.socket.destroy();
      return;
    }
    if (req.method === 'GET' && req.headers.accept?.includes('text/event-stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: hello\ndata: ${name}\n\n`);
      echo.streams.add(res);
      res.on('close', () => echo.streams.delete(res));
      return;
    }
    const answer: Answer = { name, method: req.method ?? '', url: req.url ?? '', bytes };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  echo.port = (server.address() as AddressInfo).port;
  echo.stop = async () => {
    for (const res of echo.streams) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  return echo;
}

const withoutComments = (conf: string) => conf.replace(/^\s*#.*$/gm, '');

/** A session id as voisa-mcp makes them with `--instance-id <port>` (src/web/auth.ts newSessionId). */
const sessionOf = (echo: Echo) => `${randomUUID()}.tag.${echo.port}`;

async function call(
  nginx: RunningNginx,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<{ status: number; answer?: Answer }> {
  const res = await fetch(`${nginx.url}${path}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: init.body ?? (init.method === 'GET' ? undefined : '{"jsonrpc":"2.0","id":1,"method":"ping"}'),
  });
  const text = await res.text();
  return { status: res.status, answer: res.ok ? (JSON.parse(text) as Answer) : undefined };
}

/** Names of the instances that answered `n` requests, with counts. */
async function spread(nginx: RunningNginx, n: number, path = '/mcp', method = 'POST') {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await call(nginx, path, { method });
    expect(r.status, nginx.errorLog()).toBe(200);
    counts[r.answer!.name] = (counts[r.answer!.name] ?? 0) + 1;
  }
  return counts;
}

describe.skipIf(!requireNginx())('deploy/nginx/voisa-mcp.conf in front of three instances', () => {
  let echoes: Echo[] = [];
  let nginx: RunningNginx;

  beforeAll(async () => {
    echoes = await Promise.all(['a', 'b', 'c'].map(startEcho));
    nginx = await mustStartNginx({ upstreams: echoes.map((e) => e.port) });
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all(echoes.map((e) => e.stop()));
  });

  it('renders the shipped file with the ports substituted, and passes nginx -t', () => {
    const shipped = readFileSync(SHIPPED_NGINX_CONF, 'utf8');
    const conf = nginx.conf();
    expect(withoutComments(conf)).not.toMatch(/(?<!\d)808[0-3](?!\d)/);
    for (const e of echoes) expect(conf).toContain(`server 127.0.0.1:${e.port} max_fails=1`);
    // Only the ports differ: the same lines, in the same order.
    const shape = (text: string) => text.replace(/\d{4,5}/g, 'N').replace('listen 127.0.0.1:N;', 'listen N;');
    expect(shape(conf).split('\n')).toEqual(shape(shipped).split('\n'));
    expect(testNginxConf(NGINX_BIN!, nginx.dir)).toMatchObject({ ok: true });
  });

  it('renders for one or two instances too (nginx -t)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voisa-nginx-t-'));
    try {
      for (const ports of [[41001], [41001, 41002]]) {
        const conf = renderVoisaConf(readFileSync(SHIPPED_NGINX_CONF, 'utf8'), ports, 41000);
        expect(withoutComments(conf)).not.toMatch(/(?<!\d)808[0-3](?!\d)/);
        writeFileSync(
          join(dir, 'nginx.conf'),
          `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {}\nhttp { access_log off; ${conf} }\n`,
        );
        const check = testNginxConf(NGINX_BIN!, dir);
        expect(check.ok, check.output).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => renderVoisaConf('', [1, 2, 3, 4], 5)).toThrow(/names 3 instances/);
  });

  it('spreads requests without Mcp-Session-Id round-robin over all instances (POST and GET)', async () => {
    expect(await spread(nginx, 9)).toEqual({ a: 3, b: 3, c: 3 });
    expect(await spread(nginx, 6, '/healthz', 'GET')).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('answers /metrics and /readyz itself (404): no instance sees them from outside', async () => {
    const mark = `private-${randomUUID()}`;
    for (const path of ['/metrics', '/readyz', '/metrics?x=1'])
      for (const method of ['GET', 'POST']) {
        const r = await call(nginx, path, { method, headers: { 'x-test-mark': mark } });
        expect(r.status, `${method} ${path}`).toBe(404);
      }
    for (const echo of echoes) expect(echo.marks).not.toContain(mark);
    // Liveness still goes through, to any instance.
    expect((await call(nginx, '/healthz', { method: 'GET' })).status).toBe(200);
  });

  it('sends every request of a session to the instance its id names; other sessions elsewhere', async () => {
    for (const echo of echoes) {
      const id = sessionOf(echo);
      for (let i = 0; i < 4; i++) {
        const r = await call(nginx, '/mcp', { headers: { 'mcp-session-id': id } });
        expect(r.answer?.name).toBe(echo.name);
        const get = await call(nginx, '/mcp', { method: 'GET', headers: { 'mcp-session-id': id } });
        expect(get.answer?.name).toBe(echo.name);
      }
    }
  });

  it('routes a session id naming no instance round-robin (the instance answers 404 for it)', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const r = await call(nginx, '/mcp', { headers: { 'mcp-session-id': `${randomUUID()}.tag.unknown` } });
      names.add(r.answer!.name);
    }
    expect([...names].sort()).toEqual(['a', 'b', 'c']);
  });

  it('routes the old transport: GET /sse round-robin, POST /messages by the sessionId query parameter', async () => {
    expect(await spread(nginx, 3, '/sse', 'GET')).toEqual({ a: 1, b: 1, c: 1 });
    for (const echo of echoes) {
      const id = encodeURIComponent(sessionOf(echo));
      for (let i = 0; i < 3; i++) {
        const r = await call(nginx, `/messages?sessionId=${id}`);
        expect(r.answer).toMatchObject({ name: echo.name, url: `/messages?sessionId=${id}` });
      }
    }
  });

  it('passes an SSE stream on unbuffered: the first event arrives while the instance holds the stream open', async () => {
    await expectUnbufferedStream(nginx, echoes[1]!);
  });

  it('passes an SSE stream on unbuffered inside an http block that compresses event streams', async () => {
    // An operator's global gzip for every type: a buffered proxy would hold the compressed events back.
    const gzipping = await mustStartNginx({
      upstreams: echoes.map((e) => e.port),
      httpDirectives: 'gzip on; gzip_types text/event-stream application/json; gzip_min_length 1;',
    });
    try {
      await expectUnbufferedStream(gzipping, echoes[2]!);
    } finally {
      await gzipping.stop();
    }
  });

  it('passes a POST body of more than 1 MiB (nginx defaults to 1m) and refuses one above the server limit', async () => {
    const body = new Uint8Array(1024 * 1024 + 4096).fill(0x20);
    const r = await call(nginx, '/mcp', { body });
    expect(r.status, nginx.errorLog()).toBe(200);
    expect(r.answer?.bytes).toBe(body.length);
    // 37 MiB, above the server's 34.3 MiB: nginx answers 413 itself (checked before the body is sent).
    expect(await statusWithoutBody(nginx.port, 37 * 1024 * 1024)).toBe(413);
  });
});

describe.skipIf(!requireNginx())('deploy/nginx/voisa-mcp.conf when an instance dies', () => {
  let echoes: Echo[] = [];
  let spare: Echo | undefined;
  let nginx: RunningNginx;

  beforeAll(async () => {
    echoes = await Promise.all(['a', 'b', 'c'].map(startEcho));
    nginx = await mustStartNginx({ upstreams: echoes.map((e) => e.port) });
  });
  afterAll(async () => {
    await nginx?.stop();
    await Promise.all([...echoes, ...(spare ? [spare] : [])].map((e) => e.stop()));
  });

  it('sends a POST the instance received but did not answer to no one else (502), a GET to the next one', async () => {
    const [a, , c] = echoes as [Echo, Echo, Echo];
    const seen = (mark: string) => echoes.flatMap((e) => (e.marks.includes(mark) ? [e.name] : []));
    const post = await call(nginx, '/mcp', {
      headers: { 'mcp-session-id': sessionOf(a), 'x-test-drop': 'a', 'x-test-mark': 'post' },
    });
    expect(post.status).toBe(502);
    expect(seen('post')).toEqual(['a']);
    // A GET is idempotent: nginx tries c's backup, which answers (a real one: 404, unknown session).
    const get = await call(nginx, '/mcp', {
      method: 'GET',
      headers: { 'mcp-session-id': sessionOf(c), 'x-test-drop': 'c', 'x-test-mark': 'get' },
    });
    expect(get.status).toBe(200);
    expect(get.answer?.name).not.toBe('c');
    expect(seen('get').sort()).toEqual([get.answer!.name, 'c'].sort());
  });

  it('keeps serving requests without a session, POSTs included, when an instance is down', async () => {
    const [, b] = echoes as [Echo, Echo];
    await b.stop();
    // Connection refused: the request never reached b, so nginx passes even a POST to the next one.
    for (const method of ['POST', 'GET']) {
      const counts = await spread(nginx, 6, '/mcp', method);
      expect(Object.keys(counts).sort()).toEqual(['a', 'c']);
    }
    // b's sessions go to a backup (a real instance answers 404 there and the client starts over).
    const r = await call(nginx, '/mcp', { headers: { 'mcp-session-id': sessionOf(b) } });
    expect(['a', 'c']).toContain(r.answer?.name);
  });

  it('takes a replacement instance after a reload with new ports', async () => {
    const [a, , c] = echoes as [Echo, Echo, Echo];
    spare = await startEcho('d');
    await nginx.reload([a.port, spare.port, c.port]);
    expect(await spread(nginx, 9)).toEqual({ a: 3, c: 3, d: 3 });
    const r = await call(nginx, '/mcp', { headers: { 'mcp-session-id': sessionOf(spare) } });
    expect(r.answer?.name).toBe('d');
  });
});

/** Opens a GET SSE stream to `echo` through nginx; the first event must arrive while the echo holds the stream open. */
async function expectUnbufferedStream(nginx: RunningNginx, echo: Echo): Promise<void> {
  const res = await fetch(`${nginx.url}/mcp`, {
    headers: { accept: 'text/event-stream', 'accept-encoding': 'gzip', 'mcp-session-id': sessionOf(echo) },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const first = decoder.decode((await reader.read()).value);
  expect(first).toBe(`event: hello\ndata: ${echo.name}\n\n`);
  // Still open upstream: nginx passed the event on before the response ended.
  expect(echo.streams.size).toBe(1);
  for (const stream of echo.streams) stream.end('event: bye\ndata: end\n\n');
  let rest = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    rest += decoder.decode(value);
  }
  expect(rest).toBe('event: bye\ndata: end\n\n');
}

/** The status nginx answers a POST announcing `length` bytes, sent with `Expect: 100-continue` (no body goes out unless nginx asks). */
function statusWithoutBody(port: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/mcp',
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': length, expect: '100-continue' },
    });
    req.on('continue', () => {
      req.destroy();
      reject(new Error('nginx asked for the body'));
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
