/**
 * Debian's nginx running the shipped deploy/nginx/voisa-mcp.conf in front of ports the test chose, for
 * test/deploy. The shipped file is used as it is, with one documented substitution (renderVoisaConf):
 * its instance ports 8081, 8082, 8083 become the given upstream ports and `listen 8080;` becomes a free
 * loopback port. nginx runs in the foreground as a child process, with every path (pid, logs, temp
 * files) in a temp dir. Use `requireNginx()` with `describe.skipIf`: a missing binary skips the tests
 * with a message saying how to install it, except under CI, where `mustStartNginx()` fails them.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, NGINX_BIN, renderNginxConf, SHIPPED_PORTS } from '../../scripts/services.mjs';

export { NGINX_BIN };

export const nginxMissingMessage =
  'nginx is not installed: apt-get install nginx-light (it must be /usr/sbin/nginx or on PATH)';

/** True when the binary is here. */
export const hasNginx = NGINX_BIN !== undefined;

/** The config the deployment ships (an `http {}`-level include). */
export const SHIPPED_NGINX_CONF = fileURLToPath(
  new URL('../../deploy/nginx/voisa-mcp.conf', import.meta.url),
);

/** The instance ports the shipped config names, in order; `upstreams[i]` replaces `SHIPPED_PORTS[i]`. */
export { SHIPPED_PORTS };

export interface NginxOptions {
  /** Ports on 127.0.0.1 that stand in for the shipped instances 8081, 8082, 8083 (one to three). */
  upstreams: number[];
  /** Config text to render instead of the shipped file's (same substitution). */
  confTemplate?: string;
  /** Directives for the surrounding `http {}` block, before the include (an operator's global settings, e.g. gzip). */
  httpDirectives?: string;
}

export interface RunningNginx {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** The temp dir holding nginx.conf, the logs and the temp files. */
  dir: string;
  /** The rendered include (what the shipped file became). */
  conf(): string;
  /** nginx's error log so far (for assertion messages). */
  errorLog(): string;
  /** Renders again (with new upstream ports, if given), checks with `nginx -t`, and reloads; resolves once new connections get the new config. */
  reload(upstreams?: number[]): Promise<void>;
  /** Stops nginx (fast shutdown: open streams are cut) and removes the temp dir. */
  stop(): Promise<void>;
}

/** The shipped include with the test's ports (see renderNginxConf in scripts/services.mjs). */
export function renderVoisaConf(template: string, upstreams: number[], listen: number): string {
  return renderNginxConf(upstreams, listen, template);
}

/** The host name of the extra server block that answers which config generation is loaded. */
const GENERATION_HOST = 'nginx-generation.invalid';

/** A whole nginx.conf around `include`: foreground, one worker, every path inside `dir`. */
function mainConf(
  dir: string,
  include: string,
  listen: number,
  generation: number,
  httpDirectives = '',
): string {
  // As root, nginx would switch its worker to `nobody`, which cannot write the root-owned temp dir.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  return `${user}
daemon off;
master_process on;
worker_processes 1;
worker_shutdown_timeout 1s;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  log_format upstream '$request_method $request_uri $status upstream=$upstream_addr/$upstream_status';
  access_log ${dir}/access.log upstream;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  ${httpDirectives}

${include}

  # Test only: which config generation is loaded (see reload()).
  server {
    listen 127.0.0.1:${listen};
    server_name ${GENERATION_HOST};
    location / { return 200 "${generation}"; }
  }
}
`;
}

/** `nginx -t` on a whole nginx.conf (see startNginx for what it holds). */
export function testNginxConf(bin: string, dir: string): { ok: boolean; output: string } {
  const r = spawnSync(bin, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** nginx with the shipped config in front of `upstreams`, or undefined when nginx is not installed. */
export async function startNginx(opts: NginxOptions): Promise<RunningNginx | undefined> {
  const bin = NGINX_BIN;
  if (!bin) return undefined;
  const template = opts.confTemplate ?? readFileSync(SHIPPED_NGINX_CONF, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'voisa-nginx-'));
  const port = await freePort();
  let generation = 0;
  let include = '';
  const write = (upstreams: number[]) => {
    include = renderVoisaConf(template, upstreams, port);
    generation += 1;
    writeFileSync(join(dir, 'nginx.conf'), mainConf(dir, include, port, generation, opts.httpDirectives));
    const check = testNginxConf(bin, dir);
    if (!check.ok) throw new Error(`nginx -t failed:\n${check.output}`);
  };
  const errorLog = () => {
    try {
      return readFileSync(join(dir, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };

  let upstreams = opts.upstreams;
  let child: ChildProcess | undefined;
  try {
    write(upstreams);
    child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += d;
    });
    const started = child;
    await untilGeneration(port, generation, () =>
      started.exitCode !== null ? `nginx exited (${started.exitCode}):\n${stderr}${errorLog()}` : undefined,
    );
  } catch (err) {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const running = child;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    conf: () => include,
    errorLog,
    async reload(next) {
      if (next) upstreams = next;
      write(upstreams);
      const old = workers(errorLog());
      running.kill('SIGHUP');
      // Done when the new config answers and the old workers are gone: until then, a client's
      // kept-alive connection to an old worker would still be served by the old config.
      await untilGeneration(port, generation, () => {
        if (running.exitCode !== null) return `nginx exited during reload:\n${errorLog()}`;
        return undefined;
      });
      await until(
        () => old.every((pid) => !workers(errorLog()).includes(pid)),
        `old nginx workers ${old} to exit`,
      );
    },
    async stop() {
      if (running.exitCode === null && running.signalCode === null) {
        const exited = new Promise((r) => running.once('exit', r));
        running.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** For `describe.skipIf(!requireNginx())`: false (skip, with a message) only when nginx is missing outside CI. */
export function requireNginx(): boolean {
  if (hasNginx || process.env.CI) return true;
  console.warn(`skipping the nginx tests: ${nginxMissingMessage}`);
  return false;
}

/** `startNginx()`, failing the test when the binary is missing (CI). */
export async function mustStartNginx(opts: NginxOptions): Promise<RunningNginx> {
  const nginx = await startNginx(opts);
  if (!nginx) throw new Error(nginxMissingMessage);
  return nginx;
}

/** Worker pids running according to nginx's error log (`start worker process N` without `worker process N exited`). */
function workers(log: string): string[] {
  const exited = new Set([...log.matchAll(/worker process (\d+) exited/g)].map((m) => m[1]));
  return [...log.matchAll(/start worker process (\d+)/g)].map((m) => m[1]!).filter((pid) => !exited.has(pid));
}

async function until(done: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls the generation server (fresh connections, so never an old worker's) until it answers `want`. */
async function untilGeneration(port: number, want: number, failed: () => string | undefined, ms = 10_000) {
  const until = Date.now() + ms;
  for (;;) {
    const problem = failed();
    if (problem) throw new Error(problem);
    const got = await new Promise<string | undefined>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/', headers: { host: GENERATION_HOST }, agent: false },
        (res) => {
          let body = '';
          res.on('data', (d) => {
            body += d;
          });
          res.on('end', () => resolve(body));
          res.on('error', () => resolve(undefined));
        },
      );
      req.on('error', () => resolve(undefined));
      req.end();
    });
    if (got === String(want)) return;
    if (Date.now() > until)
      throw new Error(`nginx on 127.0.0.1:${port} did not load config generation ${want}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
