/**
 * Debian's redis-server and nginx on free loopback ports in temp dirs, for the tests
 * (test/helpers/services.ts) and the scale benchmark (scripts/bench-http.mjs). nginx runs the shipped
 * deploy/nginx/voisa-mcp.conf with the given instance ports.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @param {string[]} names */
function which(names) {
  for (const name of names) {
    if (name.startsWith('/')) {
      if (spawnSync(name, ['-v'], { stdio: 'ignore' }).error === undefined) return name;
      continue;
    }
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  return undefined;
}

export const REDIS_BIN = which(['redis-server', '/usr/bin/redis-server']);
export const NGINX_BIN = which(['nginx', '/usr/sbin/nginx']);

/** @param {string | undefined} bin @param {string} install @returns {string} */
export function requireBin(bin, install) {
  if (!bin)
    throw new Error(`${install} is not installed: apt-get install ${install} (CI installs it in .ci/run)`);
  return bin;
}

/** @returns {Promise<number>} */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {{ port: number }} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** @param {number} port @param {number} [ms] */
export async function waitForPort(port, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * @typedef {{ url: string, port: number, kill(): void, restart(): Promise<void>, stop(): Promise<void> }} RunningRedis
 * @returns {Promise<RunningRedis>}
 */
export async function startRedis() {
  const bin = requireBin(REDIS_BIN, 'redis-server');
  const dir = mkdtempSync(join(tmpdir(), 'voisa-redis-'));
  const port = await freePort();
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let child;
  const launch = async () => {
    child = spawn(
      bin,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
  };
  await launch();
  const stopChild = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => child?.kill('SIGKILL'),
    async restart() {
      await stopChild();
      await launch();
    },
    async stop() {
      await stopChild();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const SHIPPED_CONF = fileURLToPath(new URL('../deploy/nginx/voisa-mcp.conf', import.meta.url));

/** The instance ports the shipped config names, in order. */
export const SHIPPED_PORTS = [8081, 8082, 8083];

/**
 * The shipped `deploy/nginx/voisa-mcp.conf` (or `template`) with the caller's ports. Instance
 * `SHIPPED_PORTS[i]` becomes `upstreams[i]` everywhere (upstream servers, `voisa_808N` names, the
 * session-id maps); with fewer than three ports, the unused instances' upstream blocks and the lines
 * naming them are dropped. `listen 8080;` becomes `listen 127.0.0.1:<listen>;`. Nothing else changes.
 * The instances must be started with `--instance-id <their port>`, as the shipped units do.
 * @param {number[]} upstreams @param {number} listen @param {string} [template]
 */
export function renderNginxConf(upstreams, listen, template = readFileSync(SHIPPED_CONF, 'utf8')) {
  if (upstreams.length < 1 || upstreams.length > SHIPPED_PORTS.length)
    throw new Error(
      `the shipped nginx config names ${SHIPPED_PORTS.length} instances; got ${upstreams.length} ports`,
    );
  const dropped = SHIPPED_PORTS.slice(upstreams.length).map(String);
  let conf = template;
  for (const port of dropped)
    conf = conf.replace(new RegExp(`upstream voisa_${port} \\{[^}]*\\}\\n\\n?`, 'g'), '');
  conf = conf
    .split('\n')
    .filter((line) => line.trimStart().startsWith('#') || !dropped.some((port) => line.includes(port)))
    .join('\n');
  conf = conf.replace(/(?<!\d)808([1-3])(?!\d)/g, (name, n) => String(upstreams[Number(n) - 1] ?? name));
  const listens = conf.match(/^\s*listen 8080;/gm)?.length ?? 0;
  if (listens !== 1) throw new Error(`expected one \`listen 8080;\` in the nginx config, found ${listens}`);
  return conf.replace(/^(\s*)listen 8080;/m, `$1listen 127.0.0.1:${listen};`);
}

/**
 * @typedef {{ url: string, port: number, stop(): Promise<void> }} RunningNginx
 * @param {number[]} instances one to three instance ports
 * @returns {Promise<RunningNginx>}
 */
export async function startNginx(instances) {
  const bin = requireBin(NGINX_BIN, 'nginx-light');
  const dir = mkdtempSync(join(tmpdir(), 'voisa-nginx-'));
  const port = await freePort();
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${renderNginxConf(instances, port)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const check = spawnSync(bin, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t failed:\n${check.stderr}`);
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
  await waitForPort(port);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGQUIT');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
