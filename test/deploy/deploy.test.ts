/**
 * The files in deploy/ are what people run: the systemd units pass `systemd-analyze verify`, and the
 * compose file's instances, ports, health checks and nginx rewrite agree with the shipped nginx config
 * (which test/deploy/nginx.test.ts and test/scale/cluster.test.ts run for real). Docker itself cannot
 * run here, so compose and the Dockerfile are checked by structure.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';

const deploy = (path: string) => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));
const NGINX = readFileSync(deploy('nginx/voisa-mcp.conf'), 'utf8');
const COMPOSE = readFileSync(deploy('compose.yaml'), 'utf8');
const hasSystemd = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

describe('deploy/', () => {
  it.skipIf(!hasSystemd)('systemd units pass systemd-analyze verify', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voisa-units-'));
    try {
      copyFileSync(deploy('systemd/voisa-mcp@.service'), join(dir, 'voisa-mcp@8081.service'));
      copyFileSync(deploy('systemd/voisa-mcp.target'), join(dir, 'voisa-mcp.target'));
      const r = spawnSync('systemd-analyze', ['verify', '--man=no', join(dir, 'voisa-mcp@8081.service')], {
        encoding: 'utf8',
      });
      expect(r.stderr.split('\n').filter((l) => l.includes('voisa-mcp'))).toEqual([]);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the systemd unit runs one instance per port, named by its port, as nginx expects', () => {
    const unit = readFileSync(deploy('systemd/voisa-mcp@.service'), 'utf8');
    expect(unit).toMatch(/--port %i --instance-id %i/);
    const target = readFileSync(deploy('systemd/voisa-mcp.target'), 'utf8');
    for (const port of instancePorts()) expect(target).toContain(`voisa-mcp@${port}.service`);
  });

  it('compose runs each instance nginx names, with its port as instance id, Redis and the secret', () => {
    for (const port of instancePorts()) {
      expect(COMPOSE).toContain(`voisa-${port}:`);
      expect(COMPOSE).toContain(`command: ["--port", "${port}", "--instance-id", "${port}"]`);
    }
    expect(COMPOSE).toContain('VOISA_REDIS_URL: redis://redis:6379');
    expect(COMPOSE).toMatch(/env_file: \.env/);
    // The rewrite compose applies to the shipped config points every upstream at a compose service.
    const rewritten = NGINX.replace(/127\.0\.0\.1:(808[1-3])/g, 'voisa-$1:$1');
    expect(rewritten).not.toMatch(/127\.0\.0\.1/);
    expect(COMPOSE).toContain('s/127\\.0\\.0\\.1:(808[1-3])/voisa-\\1:\\1/g');
  });

  it('compose is YAML in the plain subset it uses, and every service has a health check', () => {
    const lines = COMPOSE.split('\n');
    expect(lines.filter((l) => l.includes('\t'))).toEqual([]);
    // Two-space indentation (YAML forbids tabs; an odd indent would move a key into the wrong block).
    expect(lines.filter((l) => (l.length - l.trimStart().length) % 2 !== 0)).toEqual([]);
    const services = COMPOSE.slice(COMPOSE.indexOf('\nservices:\n'));
    const names = [...services.matchAll(/^ {2}([a-z0-9-]+):$/gm)].map((m) => m[1]);
    expect(names).toEqual(['redis', ...instancePorts().map((p) => `voisa-${p}`), 'nginx']);
    const blocks = services.split(/^ {2}(?=[a-z0-9-]+:$)/m).slice(1);
    for (const block of blocks)
      expect(block, block.split('\n')[0]).toMatch(/^ {4}healthcheck:\n {6}test: \[/m);
  });

  it('the image runs the built bundle with production dependencies on Node 22', () => {
    const dockerfile = readFileSync(deploy('Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:22-slim$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev/m);
    expect(dockerfile).toContain(
      'ENTRYPOINT ["node", "dist/bin/voisa-mcp.mjs", "--http", "--host", "0.0.0.0"]',
    );
    expect(dockerfile).toContain('CMD ["--port", "8080"]');
  });

  it('env.example names every variable the units and compose rely on', () => {
    const example = readFileSync(deploy('env.example'), 'utf8');
    for (const name of [
      'VOISA_SERVER_SECRET',
      'VOISA_WEBHOOK_SECRET',
      'VOISA_ALLOWED_HOSTS',
      'VOISA_REDIS_URL',
    ])
      expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    expect(example).not.toMatch(/^VOISA_API_KEY=/m);
  });

  it('the unit, compose and env.example trust the one proxy nginx is, with the address nginx appends', () => {
    const unit = readFileSync(deploy('systemd/voisa-mcp@.service'), 'utf8');
    const example = readFileSync(deploy('env.example'), 'utf8');
    const values = [
      /^Environment=VOISA_TRUST_PROXY=(.*)$/m.exec(unit)?.[1],
      /^ {4}VOISA_TRUST_PROXY: "(.*)"$/m.exec(COMPOSE)?.[1],
      /^VOISA_TRUST_PROXY=(.*)$/m.exec(example)?.[1],
    ];
    expect(values).toEqual(['1', '1', '1']);
    // The unit's own value comes first: the env file may override it (EnvironmentFile= wins).
    expect(unit.indexOf('Environment=VOISA_TRUST_PROXY')).toBeLessThan(unit.indexOf('EnvironmentFile='));
    expect(loadConfig([], { VOISA_TRUST_PROXY: values[0] }).http.trustProxy).toMatchObject({ hops: 1 });
    // One hop from the right is the address nginx saw; what the client wrote stays on the left.
    expect(NGINX).toMatch(/^ {4}proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;$/m);
  });

  it('compose checks each instance on /readyz (readiness), nginx through itself on /healthz', () => {
    const services = COMPOSE.slice(COMPOSE.indexOf('\nservices:\n'));
    for (const port of instancePorts()) {
      const block = services.split(/^ {2}(?=[a-z0-9-]+:$)/m).find((b) => b.startsWith(`voisa-${port}:`))!;
      const test = /^ {6}test: (\[.*\])$/m.exec(block)?.[1];
      expect(test, block).toBeDefined();
      const [kind, node, flag, script] = JSON.parse(test!) as string[];
      expect([kind, node, flag]).toEqual(['CMD', 'node', '-e']);
      expect(script).toContain(`fetch('http://127.0.0.1:${port}/readyz'`);
      expect(script).toContain('AbortSignal.timeout(');
      expect(block).toMatch(/^ {6}start_period: \d+s$/m);
    }
    expect(COMPOSE).not.toMatch(/808[1-3]\/healthz/);
    expect(COMPOSE).toContain('"http://127.0.0.1:8080/healthz"');
  });

  it('the systemd unit is started only once /readyz answers, within a bound', () => {
    const unit = readFileSync(deploy('systemd/voisa-mcp@.service'), 'utf8');
    const post = /^ExecStartPost=(.*)$/m.exec(unit)?.[1] ?? '';
    expect(post).toMatch(/^\/usr\/bin\/curl /);
    expect(post).toMatch(/ http:\/\/127\.0\.0\.1:%i\/readyz$/);
    for (const option of ['--fail', '--retry-all-errors', '--max-time 2'])
      expect(post.split(/\s+(?=--)/)).toContain(option);
    const retryFor = Number(/--retry-max-time (\d+)/.exec(post)?.[1]);
    const startFor = Number(/^TimeoutStartSec=(\d+)$/m.exec(unit)?.[1]);
    expect(retryFor).toBeGreaterThan(0);
    // curl gives up before systemd would kill the start: the failure is the unit's, with curl's message.
    expect(startFor).toBeGreaterThan(retryFor);
    expect(unit).toMatch(/^Restart=on-failure$/m);
  });

  it('nginx answers /metrics and /readyz itself: they are per instance, never public', () => {
    for (const path of ['/metrics', '/readyz'])
      expect(NGINX).toContain(`    location = ${path} {\n        return 404;\n    }`);
  });

  it('nginx routes sessions by the instance id their ids end in, for every instance it balances', () => {
    for (const port of instancePorts()) {
      expect(NGINX).toContain(`"~\\.${port}$" voisa_${port};`);
      expect(NGINX).toMatch(new RegExp(`upstream voisa_${port} \\{\\n\\s+server 127\\.0\\.0\\.1:${port} `));
    }
  });
});

function instancePorts(): string[] {
  const block = /upstream voisa_round_robin \{([^}]*)\}/.exec(NGINX)?.[1] ?? '';
  return [...block.matchAll(/server 127\.0\.0\.1:(\d+)/g)].map((m) => m[1]!);
}
