/**
 * Debian's real `prometheus` for the metrics tests: started on a free loopback port with its TSDB in a
 * temp dir, scraping the given targets' `/metrics` every second. Use `requirePrometheus()` with
 * `describe.skipIf`: a missing binary skips with a message saying how to install it, except under CI
 * (`.ci/run` installs it), where the tests run and `mustStartPrometheus()` fails them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './services.js';

export const PROMETHEUS_BIN = ['/usr/bin/prometheus'].find((p) => existsSync(p));
export const prometheusMissingMessage =
  'prometheus is not installed: apt-get install prometheus (it must be /usr/bin/prometheus)';

export interface RunningPrometheus {
  /** http://127.0.0.1:port */
  url: string;
  /** The value of an instant PromQL query's first sample, or undefined when it has none. */
  query(promql: string): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** For `describe.skipIf(!requirePrometheus())`. */
export function requirePrometheus(): boolean {
  if (PROMETHEUS_BIN || process.env.CI) return true;
  console.warn(`skipping the Prometheus tests: ${prometheusMissingMessage}`);
  return false;
}

/** Scrapes `targets` (host:port, over http) at `/metrics` every second, with `bearer` when given. */
export async function mustStartPrometheus(targets: string[], bearer?: string): Promise<RunningPrometheus> {
  if (!PROMETHEUS_BIN) throw new Error(prometheusMissingMessage);
  const dir = mkdtempSync(join(tmpdir(), 'voisa-prometheus-'));
  const port = await freePort();
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    '  - job_name: voisa-mcp',
    '    metrics_path: /metrics',
    ...(bearer ? ['    authorization:', `      credentials: ${JSON.stringify(bearer)}`] : []),
    '    static_configs:',
    `      - targets: ${JSON.stringify(targets)}`,
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: 'ignore', cwd: dir },
  );
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { data?: { result?: { value?: [number, string] }[] } };
      const value = body.data?.result?.[0]?.value?.[1];
      return value === undefined ? undefined : Number(value);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
