/**
 * The files in deploy/ are what people run: the systemd units pass `systemd-analyze verify`, and the
 * compose file's instances, ports and nginx rewrite agree with the shipped nginx config (which
 * test/scale/cluster.test.ts runs for real). Docker itself cannot run here, so compose is checked by
 * structure.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

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
