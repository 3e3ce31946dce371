/**
 * deploy/prometheus/prometheus.yml and deploy/grafana/voisa-mcp.json: the scrape config passes Debian's
 * `promtool check config` (with its bearer token file beside it) and names every instance nginx balances;
 * the dashboard is Grafana JSON with a `datasource` variable every panel uses, and every series its PromQL
 * reads is one of the metric contract's (docs/operations.md), each family of the contract shown somewhere.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { skipOutsideCi } from '../helpers/services.js';

const deploy = (path: string) => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));
const PROMETHEUS = readFileSync(deploy('prometheus/prometheus.yml'), 'utf8');
const NGINX = readFileSync(deploy('nginx/voisa-mcp.conf'), 'utf8');
const PROMTOOL = '/usr/bin/promtool';

/** The metric contract of issue 23: OTel instruments as the Prometheus exporter names them. */
const HISTOGRAMS = ['mcp_server_operation_duration_seconds', 'voisa_client_request_duration_seconds'];
const COUNTERS = [
  'voisa_mcp_tool_calls_total',
  'voisa_client_retries_total',
  'voisa_mcp_confirmations_total',
  'voisa_mcp_policy_refusals_total',
];
const GAUGES = ['voisa_mcp_sessions_open', 'voisa_mcp_streams_open', 'voisa_mcp_redis_up'];
const CONTRACT = new Set([
  ...HISTOGRAMS.flatMap((h) => ['bucket', 'sum', 'count'].map((s) => `${h}_${s}`)),
  ...COUNTERS,
  ...GAUGES,
]);
/** The labels (attributes, dots as underscores) each family carries, plus Prometheus's own. */
const LABELS = new Set([
  'mcp_method_name',
  'gen_ai_tool_name',
  'mcp_protocol_version',
  'error_type',
  'outcome',
  'voisa_error_code',
  'http_request_method',
  'url_template',
  'http_response_status_code',
  'voisa_confirmation',
  'voisa_policy_code',
  'le',
  'instance',
  'job',
  'service',
]);

/** PromQL's functions, aggregations and keywords: identifiers that are not series. */
const PROMQL_WORDS = new Set(
  'sum min max avg count stddev stdvar topk bottomk quantile count_values group by without on ignoring group_left group_right bool and or unless offset rate irate increase delta idelta deriv histogram_quantile abs ceil floor round clamp clamp_min clamp_max label_replace label_join vector scalar time sort sort_desc absent absent_over_time avg_over_time max_over_time min_over_time sum_over_time count_over_time last_over_time resets changes predict_linear'.split(
    ' ',
  ),
);

interface Target {
  expr: string;
  refId: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  gridPos: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: Panel[];
}

/** Grafana's reference to the dashboard's `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const GRAFANA_DATASOURCE = '${datasource}';

const DASHBOARD = JSON.parse(readFileSync(deploy('grafana/voisa-mcp.json'), 'utf8')) as Dashboard;

/** The series names and the label names one PromQL expression reads. */
function promqlNames(expr: string): { metrics: string[]; labels: string[] } {
  const labels: string[] = [];
  let rest = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    // Label matchers: {name="v", other=~"x"}
    .replace(/\{([^}]*)\}/g, (_m, inner: string) => {
      for (const m of inner.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1]!);
      return ' ';
    })
    // Range and subquery selectors, Grafana's variables among them: [$__rate_interval], [5m:1m]
    .replace(/\[[^\]]*\]/g, ' ');
  // Grouping clauses: by (a, b), without (c), on (d), ignoring (e)
  rest = rest.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_m, _k, inner: string) => {
      labels.push(
        ...inner
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return ' ';
    },
  );
  const metrics = [...rest.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w])/g)]
    .map((m) => m[1]!)
    .filter((w) => !PROMQL_WORDS.has(w) && !/^(e|inf|nan)$/i.test(w));
  return { metrics, labels };
}

describe('deploy/prometheus/prometheus.yml', () => {
  const absent = skipOutsideCi(!existsSync(PROMTOOL), `${PROMTOOL} is missing (apt-get install prometheus)`);

  it.skipIf(absent)('passes promtool check config, with its bearer token file beside it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voisa-prometheus-'));
    try {
      copyFileSync(deploy('prometheus/prometheus.yml'), join(dir, 'prometheus.yml'));
      // Without the token file the config is refused: the file is the operator's to create (docs/operations.md).
      const without = spawnSync(PROMTOOL, ['check', 'config', join(dir, 'prometheus.yml')], {
        encoding: 'utf8',
      });
      expect(without.status).not.toBe(0);
      expect(without.stdout + without.stderr).toContain('voisa-metrics-token');
      writeFileSync(join(dir, 'voisa-metrics-token'), 'a-metrics-token-of-the-operator\n', { mode: 0o600 });
      const r = spawnSync(PROMTOOL, ['check', 'config', join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('SUCCESS');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('scrapes /metrics of every instance nginx balances, directly, with the bearer token file', () => {
    const ports = [
      ...(/upstream voisa_round_robin \{([^}]*)\}/.exec(NGINX)?.[1] ?? '').matchAll(
        /server 127\.0\.0\.1:(\d+)/g,
      ),
    ].map((m) => m[1]);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) expect(PROMETHEUS).toMatch(new RegExp(`^ {10}- 127\\.0\\.0\\.1:${port}$`, 'm'));
    expect(PROMETHEUS).toMatch(/^ {4}metrics_path: \/metrics$/m);
    expect(PROMETHEUS).toMatch(
      /^ {4}authorization:\n {6}type: Bearer\n {6}credentials_file: voisa-metrics-token$/m,
    );
    // Never the token itself in the file.
    expect(PROMETHEUS).not.toMatch(/^\s*credentials:/m);
    expect(PROMETHEUS).not.toContain(':8080');
  });
});

describe('deploy/grafana/voisa-mcp.json', () => {
  const targets = DASHBOARD.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));

  it('is a dashboard with a datasource variable that every panel and query uses', () => {
    expect(DASHBOARD).toMatchObject({ title: 'voisa-mcp', uid: 'voisa-mcp' });
    expect(DASHBOARD.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(DASHBOARD.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
    const ids = DASHBOARD.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of DASHBOARD.panels) {
      expect(panel.datasource, panel.title).toEqual({ type: 'prometheus', uid: GRAFANA_DATASOURCE });
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const t of panel.targets!) expect(t.datasource, panel.title).toEqual(panel.datasource);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });

  it('queries only series of the metric contract, with its labels, and shows every family', () => {
    const used = new Set<string>();
    for (const t of targets) {
      const { metrics, labels } = promqlNames(t.expr);
      expect(metrics.length, `${t.panel}: ${t.expr}`).toBeGreaterThan(0);
      for (const m of metrics) {
        expect(CONTRACT.has(m), `${t.panel} reads ${m}, not a contract series`).toBe(true);
        used.add(m.replace(/_(bucket|sum|count)$/, ''));
      }
      for (const l of labels) expect(LABELS.has(l), `${t.panel} uses label ${l}`).toBe(true);
    }
    expect([...used].sort()).toEqual([...HISTOGRAMS, ...COUNTERS, ...GAUGES].sort());
  });

  it('has the panels the operator needs', () => {
    const titles = DASHBOARD.panels.map((p) => p.title);
    for (const want of [
      /requests by method/i,
      /errors by VOISA code/i,
      /p50 \/ p95/,
      /VOISA call duration p95 by route/,
      /retries/i,
      /confirmations asked \/ declined/i,
      /policy refusals by code/i,
      /sessions and streams/i,
      /Redis up/,
    ])
      expect(
        titles.some((t) => want.test(t)),
        String(want),
      ).toBe(true);
  });

  it('reads PromQL names as expected (the extractor itself)', () => {
    expect(
      promqlNames(
        'histogram_quantile(0.95, sum by (le, url_template) (rate(voisa_client_request_duration_seconds_bucket{outcome=~"a|b"}[$__rate_interval])))',
      ),
    ).toEqual({
      metrics: ['voisa_client_request_duration_seconds_bucket'],
      labels: ['outcome', 'le', 'url_template'],
    });
    expect(promqlNames('min by (instance) (voisa_mcp_redis_up) / 1e0').metrics).toEqual([
      'voisa_mcp_redis_up',
    ]);
  });
});
